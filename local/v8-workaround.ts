import { setFlagsFromString } from 'node:v8';

// Node 20's V8 (11.3) can abort the process ("Fatal error ... unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation) when it lazily deoptimizes CedarAuthorizer.decide
// while an inlined JS→Wasm call into the Cedar engine is on the stack. A sustained GET load
// triggers it within seconds. Turning that inlining off avoids the crash. Imported first by
// local/stack.ts (npm start, the tests, the bench), so it runs before any handler code is optimized.
// Lambda runs nodejs22.x, which does not need it.
export const V8_WORKAROUND = process.versions.node.startsWith('20.') ? '--no-turbo-inline-js-wasm-calls' : undefined;
if (V8_WORKAROUND) setFlagsFromString(V8_WORKAROUND);
