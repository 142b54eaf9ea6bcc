// test/conformance/suites/state-machines.ts still imports PROJECT_ROOT from here. The function
// construct is BrokerFunction (broker-function.ts), for API groups, step groups and the reconciler
// alike; delete this file once that import names broker-function.ts.
export { PROJECT_ROOT } from './broker-function.ts';
