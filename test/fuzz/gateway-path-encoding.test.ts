import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerFault, type FuzzClient, fuzzClient } from '../support/fuzz-http.ts';
import { useBuiltConsole } from '../support/console-assets.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// Found by the fuzz suite: a path whose percent-encoding does not decode (%zz, a cut-off UTF-8
// sequence, an encoded lone surrogate) made the local gateway throw while building the event, so
// the caller got a 502 bad_gateway. The value now reaches the function as sent and is refused
// there like any other malformed id.

let stack: TestStack;
let client: FuzzClient;

beforeAll(async () => {
  await useBuiltConsole();
  stack = await startTestStack();
  client = fuzzClient(stack.url);
});

afterAll(async () => {
  client?.close();
  await stack?.close();
});

describe('the local gateway and broken percent-encoding in a path', () => {
  for (const segment of ['%zz', '%', '%E0%A4%A', '%ED%A0%80']) {
    it(`refuses /v1/projects/${segment} as a malformed project id`, async () => {
      const res = await client.send({ method: 'GET', path: `/v1/projects/${segment}`, headers: { authorization: `Bearer ${await stack.tokenFor('admin')}` } });
      expect(answerFault(res), res.text).toBeUndefined();
      expect(res.status, res.text).toBe(400);
      expect((res.json as { code: string }).code).toBe('invalid_project_id');
    });
  }

  it('answers a console path that does not decode without a 5xx', async () => {
    const res = await client.send({ method: 'GET', path: '/console/%E0%A4%A', headers: {} });
    expect(res.status, res.text).toBeLessThan(500);
  });
});
