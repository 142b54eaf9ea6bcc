// The platform catalog: clouds, their credentials (metadata only), blueprints and versions.
import type { blueprintView } from '../../functions/core/catalog/blueprints.ts';
import type { cloudView } from '../../functions/core/catalog/clouds.ts';
import type { credentialView } from '../../functions/core/catalog/credentials.ts';
import { type Command, stringFlag } from '../command.ts';
import { table } from '../render.ts';
import { columnsOf, detailsOf } from './fields.ts';
import { getCommand, listCommand, noun } from './shared.ts';

export type CloudView = ReturnType<typeof cloudView>;
export type CredentialView = ReturnType<typeof credentialView>;
export type BlueprintView = ReturnType<typeof blueprintView>;
export type BlueprintSummary = Omit<BlueprintView, 'versions'>;
export type VersionView = BlueprintView['versions'][number];

export const CLOUD = noun(['cloud'], 'Cloud', '/v1/clouds/{id}');
export const CREDENTIAL = noun(['cloud', 'credential'], 'CloudCredential', '/v1/cloud-credentials/{id}');
export const BLUEPRINT = noun(['blueprint'], 'Blueprint', '/v1/blueprints/{id}');

export const cloudDetails = detailsOf<CloudView>([
  'id',
  'slug',
  'display_name',
  'provider',
  'endpoint',
  'region_defaults',
  'external_id',
  'created_at',
  'updated_at',
]);

/** Metadata only: the wire form carries nothing else, and neither does this. */
export const credentialDetails = detailsOf<CredentialView>([
  'id',
  'cloud_id',
  'display_name',
  'status',
  'version',
  'owner_id',
  'expires_at',
  'revoked_at',
  'created_at',
  'updated_at',
]);

export const blueprintDetails = detailsOf<BlueprintSummary>(['id', 'slug', 'display_name', 'description', 'status', 'created_at']);

/** "size:integer?" for an optional parameter, "name:string" for a required one. */
export function parameterList(v: Pick<VersionView, 'parameter_schema'>): string {
  return v.parameter_schema.length ? v.parameter_schema.map((p) => `${p.name}:${p.type}${p.required ? '' : '?'}`).join(', ') : 'none';
}

/** A Blueprint's versions, as blueprint get and blueprint version publish show them. */
export const versionColumns = columnsOf<VersionView>([
  ['Version id', (v) => v.id],
  'version',
  ['Providers', (v) => v.provider_kinds],
  ['Injection', (v) => v.injection_strategy],
  ['Parameters', parameterList],
]);

const cloudGet = getCommand(CLOUD, 'Show a Cloud', cloudDetails, [
  'plexctl cloud get "$CLOUD_ID" --profile operator --output json | jq \'{slug, display_name, provider}\'',
]);

const cloudList = listCommand({
  path: ['cloud', 'list'],
  summary: 'List the Clouds',
  endpoint: '/v1/clouds',
  columns: ['id', 'slug', 'display_name', 'provider', ['Region', (c) => c.endpoint?.region]],
  empty: 'No clouds.',
});

const credentialList = listCommand({
  path: ['cloud', 'credential', 'list'],
  summary: "List a Cloud's credentials (metadata only; the secret never leaves the vault)",
  flags: { 'cloud-id': { type: 'string', placeholder: 'id', required: true, description: 'the Cloud' } },
  examples: [
    'plexctl cloud credential list --cloud-id "$CLOUD_ID" --profile operator --output json \\',
    '  | jq -r \'.items[] | select(.display_name == "demo-credential") | .id\'',
  ],
  endpoint: '/v1/clouds/{id}/cloud-credentials',
  params: (args) => ({ path: { id: stringFlag(args, 'cloud-id') ?? '' } }),
  columns: ['id', 'display_name', 'status', 'version', 'expires_at'],
  empty: 'No credentials on this cloud.',
});

const credentialGet = getCommand(CREDENTIAL, "Show a cloud credential's metadata", credentialDetails);

const blueprintGet = getCommand(
  BLUEPRINT,
  'Show a Blueprint and its versions (with their ids and parameter schemas)',
  (b: BlueprintView) => `${blueprintDetails(b)}\nVersions:\n${table(b.versions, versionColumns, 'No versions published.')}`,
  [
    'plexctl blueprint get "$CLOUDLESS_BLUEPRINT" --profile operator --output json \\',
    "  | jq '{slug, version: .versions[0].version, parameter_schema: .versions[0].parameter_schema}'",
    'VERSION_ID=$(plexctl blueprint get "$CLOUDLESS_BLUEPRINT" --profile operator --output json | jq -r \'.versions[0].id\')',
  ],
);

const blueprintList = listCommand({
  path: ['blueprint', 'list'],
  summary: 'List the Blueprints',
  endpoint: '/v1/blueprints',
  columns: ['id', 'slug', 'display_name', 'status'],
  empty: 'No blueprints.',
});

export const CATALOG_COMMANDS: readonly Command[] = [cloudList, cloudGet, credentialList, credentialGet, blueprintList, blueprintGet];
