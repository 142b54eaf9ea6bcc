// The typed client's types, generated from the broker's own OpenAPI document (the one
// GET /v1/openapi.json serves) by openapi-typescript. The console and plexctl both call the API
// through client/broker.ts with these types, so a renamed path, field or parameter fails their
// typecheck; test/unit/client-types.test.ts fails when the committed file is out of date.
import openapiTS, { astToString } from 'openapi-typescript';
import { openApiDocument } from '../functions/api/openapi.ts';

export const CLIENT_TYPES_FILE = 'client/openapi.gen.ts';

const HEADER = [
  '// Generated from the OpenAPI document the broker serves at GET /v1/openapi.json.',
  '// Do not edit: run `npm run gen:client` after changing a route, a spec or a schema.',
  '',
].join('\n');

export async function renderClientTypes(document: object = openApiDocument()): Promise<string> {
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0]);
  return `${HEADER}${astToString(ast)}`;
}
