// Boots a throwaway embedded stack on a free port for trying plexctl by hand; prints its URL.
import { startTestStack } from '../test/support/stack.ts';

const stack = await startTestStack({}, { heartbeatIntervalMs: 500 });
console.log(`PLEXSPHERE_URL=${stack.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stack.close().then(() => process.exit(0)));
