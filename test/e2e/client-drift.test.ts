import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrokerClient, must } from '../../client/broker.ts';
import { renderClientTypes } from '../../scripts/client-types.ts';
import { firstDifference } from '../support/first-difference.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// The committed typed client matches what a running broker serves: the document at
// GET /v1/openapi.json (read through that same client) generates client/openapi.gen.ts exactly.

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('the typed client and the running broker', () => {
  it('the document the broker serves generates the committed client, byte for byte', async () => {
    const served = await must(createBrokerClient({ baseUrl: stack.url }).GET('/v1/openapi.json'));
    expect(served).toMatchObject({ openapi: expect.stringMatching(/^3\./), paths: expect.objectContaining({ '/v1/resources/{id}': expect.any(Object) }) });
    const committed = readFileSync(new URL('../../client/openapi.gen.ts', import.meta.url), 'utf8');
    const generated = await renderClientTypes(served as object);
    expect(
      generated === committed,
      `client/openapi.gen.ts does not match GET /v1/openapi.json: run \`npm run gen:client\` (first difference at ${firstDifference(committed, generated, ['committed', 'served'])})`,
    ).toBe(true);
  });
});
