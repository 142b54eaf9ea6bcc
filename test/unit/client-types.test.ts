import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/api/openapi.ts';
import { renderClientTypes } from '../../scripts/client-types.ts';
import { firstDifference } from '../support/first-difference.ts';

// The typed client (client/openapi.gen.ts) that the console and plexctl call the broker through is
// generated from our own OpenAPI document. A route, spec or schema changed without regenerating it
// would leave both callers typechecking against an API the broker no longer serves.

const COMMITTED = new URL('../../client/openapi.gen.ts', import.meta.url);
const REGENERATE = 'client/openapi.gen.ts is out of date with the routes and specs: run `npm run gen:client` and commit the result';

describe('the typed client', () => {
  it('is what the current document generates, byte for byte', async () => {
    const committed = readFileSync(COMMITTED, 'utf8');
    const generated = await renderClientTypes();
    // Compared as a verdict first, so a stale file fails with the one thing to do, not a 3000-line diff.
    expect(generated === committed, `${REGENERATE}\nfirst difference at ${firstDifference(committed, generated)}`).toBe(true);
  });

  it('follows the document: a path added to it shows up in the generated types', async () => {
    const doc = openApiDocument() as { paths: Record<string, unknown> };
    const changed = { ...doc, paths: { ...doc.paths, '/v1/drift-probe': { get: { operationId: 'driftProbe', responses: { 204: { description: 'No Content' } } } } } };
    const generated = await renderClientTypes(changed);
    expect(generated).toContain('"/v1/drift-probe"');
    expect(generated).not.toBe(await renderClientTypes());
  });
});
