// `npm start`: the embedded local stack in one process, data kept under .plexsphere/.
import { resolve } from 'node:path';
import { FIXTURES } from '../scripts/fixtures.ts';
import { startStack } from './stack.ts';

const dataDir = resolve(process.env.PLEXSPHERE_DATA_DIR ?? '.plexsphere');
const port = Number(process.env.PORT ?? 8080);
// The demo Cloud's endpoint is stored with the port in it, so the EC2 emulator keeps one port
// across starts (the next one up by default) and a restart has nothing to re-seed.
const ec2Port = Number(process.env.PLEXSPHERE_EC2_PORT ?? port + 1);

const stack = await startStack({ dataDir, port, ec2Port });
const seeded = stack.seed.created.length ? `seeded ${stack.seed.created.join(', ')}` : 'fixtures already seeded, nothing changed';
console.log(`Plexsphere broker (embedded local stack)
  API          ${stack.url}/v1
  sign-in page ${stack.url}/v1/auth/device
  DynamoDB     ${stack.dynamoUrl} (dynalite, data in ${dataDir})
  Secrets      ${stack.secretsUrl}
  EC2          ${stack.ec2Url} (the demo Cloud's endpoint; instances are local node agents)
  ${seeded}
  Domain ${FIXTURES.domain.name}: DOMAIN_ID=${FIXTURES.domain.id} BINDING_ID=${FIXTURES.binding.id}
  Identities: ${FIXTURES.operator.email}, ${FIXTURES.admin.email} (password "${FIXTURES.devPassword}")
Press Ctrl-C to stop.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    stack.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
