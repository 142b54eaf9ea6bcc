import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

// #14 item 8: a Cloud's endpoint must be https outside the embedded stack. The stack here runs
// with the setting a deployment has (CLOUD_ENDPOINT_ALLOW_HTTP unset on AWS: strict); the
// embedded stack's own http endpoints are covered by catalog-clouds.test.ts.

let stack: TestStack;
let n = 0;

beforeAll(async () => {
  stack = await startTestStack({ CLOUD_ENDPOINT_ALLOW_HTTP: 'false' }, { startAgents: false });
});
afterAll(async () => {
  await stack?.close();
});

const snapshot = () => tableSnapshot(stack.dynamoUrl, stack.tableName);
const body = (url: string) => ({
  display_name: `Endpoint ${++n}`,
  slug: `endpoint-${n}`,
  provider: 'aws',
  endpoint: { region: 'eu-central-1', url },
  region_defaults: {},
  external_id: `ext-${n}`,
});

describe('cloud endpoints outside the embedded stack', () => {
  it('refuses an http:// endpoint on create and on patch with 400 insecure_endpoint, storing nothing', async () => {
    const before = await snapshot();
    for (const url of ['http://127.0.0.1:4566', 'http://ec2.eu-central-1.amazonaws.com']) {
      const res = await stack.call('operator', 'POST', '/v1/clouds', body(url));
      expect(res.status, res.text).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('insecure_endpoint');
    }
    const patch = await stack.call('operator', 'PATCH', `/v1/clouds/${FIXTURES.cloud.id}`, { endpoint: { region: 'us-east-1', url: 'http://127.0.0.1:5999' } });
    expect(patch.status).toBe(400);
    expect(patch.body.code).toBe('insecure_endpoint');
    expect(await snapshot()).toEqual(before);
  });

  it('takes an https:// endpoint', async () => {
    const res = await stack.call('operator', 'POST', '/v1/clouds', body('https://ec2.eu-central-1.amazonaws.com'));
    expect(res.status, res.text).toBe(201);
    expect(res.body.endpoint).toEqual({ region: 'eu-central-1', url: 'https://ec2.eu-central-1.amazonaws.com' });
  });
});
