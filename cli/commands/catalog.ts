// The platform catalog: clouds, their credentials (metadata only), blueprints and versions.
import type { blueprintView } from '../../functions/core/catalog/blueprints.ts';
import type { cloudView } from '../../functions/core/catalog/clouds.ts';
import type { credentialView } from '../../functions/core/catalog/credentials.ts';
import { type Command, stringFlag } from '../command.ts';
import { cell, details, table } from '../render.ts';
import { LIST_FLAGS, listItems, moreHint, result, seg } from './shared.ts';

export type CloudView = ReturnType<typeof cloudView>;
export type CredentialView = ReturnType<typeof credentialView>;
export type BlueprintView = ReturnType<typeof blueprintView>;
export type BlueprintSummary = Omit<BlueprintView, 'versions'>;
export type VersionView = BlueprintView['versions'][number];

export function cloudDetails(cloud: CloudView): string {
  return details([
    ['ID', cloud.id],
    ['Slug', cloud.slug],
    ['Display name', cloud.display_name],
    ['Provider', cloud.provider],
    ['Endpoint', cloud.endpoint],
    ['Region defaults', cloud.region_defaults],
    ['External id', cloud.external_id],
    ['Created', cloud.created_at],
    ['Updated', cloud.updated_at],
  ]);
}

/** Metadata only: the wire form carries nothing else, and neither does this. */
export function credentialDetails(c: CredentialView): string {
  return details([
    ['ID', c.id],
    ['Cloud', c.cloud_id],
    ['Display name', c.display_name],
    ['Status', c.status],
    ['Version', c.version],
    ['Owner', c.owner_id],
    ['Expires', c.expires_at],
    ['Revoked', c.revoked_at],
    ['Created', c.created_at],
    ['Updated', c.updated_at],
  ]);
}

export function blueprintDetails(b: BlueprintSummary): string {
  return details([
    ['ID', b.id],
    ['Slug', b.slug],
    ['Display name', b.display_name],
    ['Description', b.description],
    ['Status', b.status],
    ['Created', b.created_at],
  ]);
}

/** "size:integer?" for an optional parameter, "name:string" for a required one. */
export function parameterList(v: Pick<VersionView, 'parameter_schema'>): string {
  return v.parameter_schema.length ? v.parameter_schema.map((p) => `${p.name}:${p.type}${p.required ? '' : '?'}`).join(', ') : 'none';
}

const cloudGet: Command = {
  path: ['cloud', 'get'],
  summary: 'Show a Cloud',
  positionals: [{ name: 'cloud-id', description: 'the Cloud' }],
  examples: ['plexctl cloud get "$CLOUD_ID" --profile operator --output json | jq \'{slug, display_name, provider}\''],
  async run(ctx, args) {
    const cloud = (await ctx.api().get<CloudView>(`/v1/clouds/${seg(args.positionals[0] ?? '')}`)).body;
    return result(cloud, cloudDetails(cloud));
  },
};

const cloudList: Command = {
  path: ['cloud', 'list'],
  summary: 'List the Clouds',
  flags: LIST_FLAGS,
  async run(ctx, args) {
    const body = await listItems<CloudView>(ctx.api(), '/v1/clouds', args);
    const rows = table(
      body.items,
      [
        { header: 'ID', value: (c) => c.id },
        { header: 'SLUG', value: (c) => c.slug },
        { header: 'DISPLAY NAME', value: (c) => c.display_name },
        { header: 'PROVIDER', value: (c) => c.provider },
        { header: 'REGION', value: (c) => c.endpoint?.region },
      ],
      'No clouds.',
    );
    return result(body, rows + moreHint(body));
  },
};

export const credentialColumns = [
  { header: 'ID', value: (c: CredentialView) => c.id },
  { header: 'DISPLAY NAME', value: (c: CredentialView) => c.display_name },
  { header: 'STATUS', value: (c: CredentialView) => c.status },
  { header: 'VERSION', value: (c: CredentialView) => c.version },
  { header: 'EXPIRES', value: (c: CredentialView) => c.expires_at },
];

const credentialList: Command = {
  path: ['cloud', 'credential', 'list'],
  summary: "List a Cloud's credentials (metadata only; the secret never leaves the vault)",
  flags: { 'cloud-id': { type: 'string', placeholder: 'id', required: true, description: 'the Cloud' }, ...LIST_FLAGS },
  examples: [
    'plexctl cloud credential list --cloud-id "$CLOUD_ID" --profile operator --output json \\',
    '  | jq -r \'.items[] | select(.display_name == "demo-credential") | .id\'',
  ],
  async run(ctx, args) {
    const cloudId = stringFlag(args, 'cloud-id') ?? '';
    const body = await listItems<CredentialView>(ctx.api(), `/v1/clouds/${seg(cloudId)}/cloud-credentials`, args);
    return result(body, table(body.items, credentialColumns, 'No credentials on this cloud.') + moreHint(body));
  },
};

const credentialGet: Command = {
  path: ['cloud', 'credential', 'get'],
  summary: "Show a cloud credential's metadata",
  positionals: [{ name: 'credential-id', description: 'the CloudCredential' }],
  async run(ctx, args) {
    const c = (await ctx.api().get<CredentialView>(`/v1/cloud-credentials/${seg(args.positionals[0] ?? '')}`)).body;
    return result(c, credentialDetails(c));
  },
};

const blueprintGet: Command = {
  path: ['blueprint', 'get'],
  summary: 'Show a Blueprint and its versions (with their ids and parameter schemas)',
  positionals: [{ name: 'blueprint-id', description: 'the Blueprint' }],
  examples: [
    'plexctl blueprint get "$CLOUDLESS_BLUEPRINT" --profile operator --output json \\',
    "  | jq '{slug, version: .versions[0].version, parameter_schema: .versions[0].parameter_schema}'",
    'VERSION_ID=$(plexctl blueprint get "$CLOUDLESS_BLUEPRINT" --profile operator --output json | jq -r \'.versions[0].id\')',
  ],
  async run(ctx, args) {
    const b = (await ctx.api().get<BlueprintView>(`/v1/blueprints/${seg(args.positionals[0] ?? '')}`)).body;
    const head = blueprintDetails(b);
    const versions = table(
      b.versions,
      [
        { header: 'VERSION ID', value: (v) => v.id },
        { header: 'VERSION', value: (v) => v.version },
        { header: 'PROVIDERS', value: (v) => v.provider_kinds },
        { header: 'INJECTION', value: (v) => v.injection_strategy },
        { header: 'PARAMETERS', value: parameterList },
      ],
      'No versions published.',
    );
    return result(b, `${head}\nVersions:\n${versions}`);
  },
};

const blueprintList: Command = {
  path: ['blueprint', 'list'],
  summary: 'List the Blueprints',
  flags: LIST_FLAGS,
  async run(ctx, args) {
    const body = await listItems<BlueprintSummary>(ctx.api(), '/v1/blueprints', args);
    const rows = table(
      body.items,
      [
        { header: 'ID', value: (b) => b.id },
        { header: 'SLUG', value: (b) => b.slug },
        { header: 'DISPLAY NAME', value: (b) => b.display_name },
        { header: 'STATUS', value: (b) => cell(b.status) },
      ],
      'No blueprints.',
    );
    return result(body, rows + moreHint(body));
  },
};

export const CATALOG_COMMANDS: readonly Command[] = [cloudList, cloudGet, credentialList, credentialGet, blueprintList, blueprintGet];
