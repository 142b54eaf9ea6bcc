// `npm start`: the embedded local stack in one process, data kept under .plexsphere/.
import { resolve } from 'node:path';
import { FIXTURES } from '../scripts/fixtures.ts';
import { DataFolderInUseError, lockDataDir } from './data-lock.ts';

const dataDir = resolve(process.env.PLEXSPHERE_DATA_DIR ?? '.plexsphere');
const port = Number(process.env.PORT ?? 8080);
// The demo Cloud's endpoint is stored with the port in it, so the EC2 emulator keeps one port
// across starts (the next one up by default) and a restart has nothing to re-seed.
const ec2Port = Number(process.env.PLEXSPHERE_EC2_PORT ?? port + 1);

// The folder is taken before anything else starts (ports, agents) or even loads.
const lock = await lockDataDir(dataDir).catch((err: unknown) => {
  console.error(`error: ${err instanceof DataFolderInUseError ? err.message : whyNotStarted(err)}`);
  process.exit(1);
});
const { startStack } = await import('./stack.ts');
console.log(`Starting the embedded local stack (data in ${dataDir})…`);
const stack = await startStack({ dataDir, port, ec2Port }).catch((err: unknown) => {
  console.error(`error: ${whyNotStarted(err)}`);
  process.exit(1);
});
// Ready before the banner says so: whoever reads it may press Ctrl-C at once.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    stack
      .close()
      .then(() => lock.release())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(err);
          process.exit(1);
        },
      );
  });
}

const seeded = stack.seed.created.length ? `seeded ${stack.seed.created.join(', ')}` : 'fixtures already seeded, nothing changed';
console.log(`Plexsphere broker (embedded local stack)
  Console      ${stack.url}/console/?domain_id=${FIXTURES.domain.id}
  API          ${stack.url}/v1
  sign-in page ${stack.url}/v1/auth/device
  DynamoDB     ${stack.dynamoUrl} (dynalite, data in ${dataDir})
  Secrets      ${stack.secretsUrl}
  EC2          ${stack.ec2Url} (the demo Cloud's endpoint; instances are local node agents)
  Scheduler    ${stack.schedulerUrl} (lease timers)
  ${seeded}
  Domain ${FIXTURES.domain.name}: DOMAIN_ID=${FIXTURES.domain.id} BINDING_ID=${FIXTURES.binding.id}
  Identities: ${FIXTURES.operator.email}, ${FIXTURES.admin.email} (password "${FIXTURES.devPassword}")
Press Ctrl-C to stop.`);

/** The common reasons a start fails, said in a line with what to do; anything else as it is. */
function whyNotStarted(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e?.code === 'EADDRINUSE') {
    return `port ${e.port ?? '?'} is in use (is another npm start running?). Stop it, or choose other ports with PORT=… (API) and PLEXSPHERE_EC2_PORT=… (local EC2).`;
  }
  return e instanceof Error ? (e.stack ?? e.message) : String(err);
}
