// `npm run gen:client`: rewrites client/openapi.gen.ts from the route table and the specs.
import { writeFileSync } from 'node:fs';
import { CLIENT_TYPES_FILE, renderClientTypes } from './client-types.ts';

writeFileSync(CLIENT_TYPES_FILE, await renderClientTypes());
console.log(`wrote ${CLIENT_TYPES_FILE}`);
