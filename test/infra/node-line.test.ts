import { describe, expect, it } from 'vitest';
import { NODE_MAJOR } from '../../infra/node-line.ts';

// The tests are worth what the runtime under them is: npm test runs through scripts/node24.sh,
// and vitest forks its workers with the parent's process.execPath.
describe('the Node line under the tests', () => {
  it('is the one Lambda runs, or newer', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(major, `tests run on ${process.execPath} ${process.version}`).toBeGreaterThanOrEqual(NODE_MAJOR);
  });
});
