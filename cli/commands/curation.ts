// The platform operator's catalog writes: register and remove Clouds, issue and revoke their
// credentials, create Blueprints and publish their immutable versions. Every flag is checked here
// first, so a typo costs no request; the broker checks again and stays the authority.
import { readFileSync } from 'node:fs';
import { type Args, type Command, boolFlag, stringFlag } from '../command.ts';
import type { Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import { table } from '../render.ts';
import {
  BLUEPRINT,
  blueprintDetails,
  CLOUD,
  CREDENTIAL,
  cloudDetails,
  credentialDetails,
  versionColumns,
} from './catalog.ts';
import { byId, checkBody, deleteCommand, idArg, result } from './shared.ts';

/** The slug rule of the catalog, as a usage error naming the flag. */
async function checkSlug(value: string | undefined, command: string): Promise<string> {
  const { CatalogSlugSchema } = await import('../../functions/core/catalog/shared.ts');
  const parsed = CatalogSlugSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--slug must be ${parsed.error.issues[0]?.message ?? 'a slug'}, not "${value}"`, command);
  return parsed.data;
}

/** --display-name, which the parser already requires, must also be more than blanks. */
function displayName(args: Args, command: string): string | undefined {
  const value = stringFlag(args, 'display-name');
  if (value !== undefined && value.trim() === '') throw new UsageError('--display-name must not be blank', command);
  return value;
}

/** One of a closed set, or a usage error listing the set. */
function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string, command: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be ${orList(allowed)}, not "${value}"`, command);
}

function orList(words: readonly string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** Reads a file the user named; a missing or unreadable file is their mistake, not the broker's. */
function readUserFile(path: string, flag: string, command: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? String(err));
    throw new UsageError(`${flag}: cannot read ${path} (${why})`, command);
  }
}

// ---------------------------------------------------------------------------------------------
// Clouds.

const cloudCreate: Command = {
  path: ['cloud', 'create'],
  summary: 'Register a Cloud in the catalog',
  description: [
    'The endpoint is where the broker reaches the provider. An aws Cloud needs --region;',
    "--endpoint-url is for anything but the provider's public endpoint (an emulator, a private",
    "endpoint). The region is also the Cloud's default region. Slug and provider are fixed once",
    'the Cloud exists.',
  ].join('\n'),
  flags: {
    slug: { type: 'string', placeholder: 'slug', required: true, description: 'lowercase words joined by dashes, unique among the Clouds' },
    'display-name': { type: 'string', placeholder: 'name', required: true, description: 'the name people see' },
    provider: { type: 'string', placeholder: 'aws|azure', required: true, description: 'the kind of cloud' },
    'external-id': {
      type: 'string',
      placeholder: 'id',
      required: true,
      description: 'the account this Cloud stands for at the provider (AWS account id, Azure subscription id)',
    },
    region: { type: 'string', placeholder: 'region', description: 'the region the broker calls, e.g. eu-central-1 (required for aws)' },
    'endpoint-url': { type: 'string', placeholder: 'url', description: "an http(s) URL to call instead of the provider's public endpoint" },
  },
  examples: [
    'CLOUD_ID=$(plexctl cloud create --profile operator --slug lab-eu --display-name "Lab (eu-central-1)" \\',
    "  --provider aws --external-id 123456789012 --region eu-central-1 --output json | jq -r '.id')",
    '# a Cloud served by a local EC2 emulator',
    'plexctl cloud create --profile operator --slug emulated --display-name Emulated --provider aws \\',
    '  --external-id local --region us-east-1 --endpoint-url http://127.0.0.1:4566',
  ],
  async run(ctx, args) {
    const name = 'cloud create';
    const { CLOUD_PROVIDERS } = await import('../../functions/core/catalog/provider-keys.ts');
    const { CreateCloudBodySchema } = await import('../../functions/core/catalog/clouds.ts');
    const slug = await checkSlug(stringFlag(args, 'slug'), name);
    const provider = oneOf(stringFlag(args, 'provider') ?? '', CLOUD_PROVIDERS, '--provider', name);
    const region = stringFlag(args, 'region');
    if (region === '') throw new UsageError('--region must not be empty', name);
    if (provider === 'aws' && region === undefined) throw new UsageError('an aws Cloud needs --region <region>, e.g. --region eu-central-1', name);
    const url = stringFlag(args, 'endpoint-url');
    if (url !== undefined && !isHttpUrl(url)) throw new UsageError(`--endpoint-url must be an http(s) URL such as https://ec2.example.com, not "${url}"`, name);
    const body = checkBody(
      CreateCloudBodySchema,
      {
        display_name: displayName(args, name),
        slug,
        provider,
        endpoint: { ...(region !== undefined && { region }), ...(url !== undefined && { url }) },
        region_defaults: region !== undefined ? { region } : {},
        external_id: stringFlag(args, 'external-id'),
      },
      { display_name: '--display-name', slug: '--slug', provider: '--provider', endpoint: '--region/--endpoint-url', external_id: '--external-id' },
      name,
    );
    const cloud = (await ctx.api().POST('/v1/clouds', { body })).body;
    return result(cloud, `Created cloud ${cloud.slug}.\n${cloudDetails(cloud)}`);
  },
};

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '';
  } catch {
    return false;
  }
}

const cloudDelete = deleteCommand(CLOUD, 'Delete a Cloud that never had a credential (needs --yes)', {
  description: 'A Cloud that has ever held a credential stays (the broker answers cloud_not_empty): revoke its credentials instead.',
  examples: ['plexctl cloud delete "$CLOUD_ID" --profile operator --yes'],
});

// ---------------------------------------------------------------------------------------------
// Cloud credentials.

/** RFC 3339 with a zone, as the broker takes it: 2027-01-31T00:00:00Z or …+01:00. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The secret material, from the one source the flags name; never from the command line itself. */
async function readMaterial(ctx: Context, args: Args, command: string): Promise<{ bytes: Buffer; source: string }> {
  const file = stringFlag(args, 'payload-file');
  const fromStdin = boolFlag(args, 'payload-stdin');
  if (file !== undefined && fromStdin) throw new UsageError('give the material once: --payload-file <path> or --payload-stdin, not both', command);
  if (file === undefined && !fromStdin) {
    throw new UsageError('the credential material comes from --payload-file <path> or --payload-stdin (never from the command line)', command);
  }
  if (file !== undefined) {
    if (file === '') throw new UsageError('--payload-file needs a path', command);
    return { bytes: readUserFile(file, '--payload-file', command), source: file };
  }
  if (ctx.io.stdin?.isTTY) ctx.err('Reading the credential material from the terminal; end it with Ctrl-D.\n');
  return { bytes: await ctx.readStdin(), source: 'stdin' };
}

const credentialCreate: Command = {
  path: ['cloud', 'credential', 'create'],
  summary: 'Issue a credential on a Cloud; the material goes to the vault and is never shown again',
  description: [
    'The material comes from a file or from stdin, never from an argument: arguments end up in',
    'shell history and in the process list. plexctl sends it base64-encoded, byte for byte as read,',
    'and prints only the metadata. For an aws Cloud the material is the JSON document',
    '{"access_key_id": "…", "secret_access_key": "…"}. Without --expires-at the credential lives for',
    'a year. You become its owner: you decide the requests to assign it to Projects.',
  ].join('\n'),
  flags: {
    'cloud-id': { type: 'string', placeholder: 'id', required: true, description: 'the Cloud' },
    'display-name': { type: 'string', placeholder: 'name', required: true, description: 'the name people see' },
    'payload-file': { type: 'string', placeholder: 'path', description: 'read the material from this file' },
    'payload-stdin': { type: 'boolean', description: 'read the material from stdin' },
    'expires-at': { type: 'string', placeholder: 'time', description: 'when it stops being usable, RFC 3339 (e.g. 2027-01-31T00:00:00Z)' },
  },
  examples: [
    'CREDENTIAL_ID=$(plexctl cloud credential create --profile operator --cloud-id "$CLOUD_ID" \\',
    "  --display-name lab-keys --payload-file ./lab-keys.json --output json | jq -r '.id')",
    '# from a secret manager, without the material touching the disk',
    'pass show lab/aws-keys | plexctl cloud credential create --profile operator --cloud-id "$CLOUD_ID" \\',
    '  --display-name lab-keys --payload-stdin --expires-at 2027-01-31T00:00:00Z',
  ],
  async run(ctx, args) {
    const name = 'cloud credential create';
    const cloudId = stringFlag(args, 'cloud-id') ?? '';
    const expiresAt = stringFlag(args, 'expires-at');
    if (expiresAt !== undefined) {
      if (!TIMESTAMP.test(expiresAt) || Number.isNaN(Date.parse(expiresAt))) {
        throw new UsageError(`--expires-at must be an RFC 3339 time with a zone, such as 2027-01-31T00:00:00Z, not "${expiresAt}"`, name);
      }
      if (Date.parse(expiresAt) <= ctx.now()) throw new UsageError(`--expires-at must be in the future, not ${expiresAt}`, name);
    }
    const { IssueCredentialBodySchema, MAX_PAYLOAD_CHARS } = await import('../../functions/core/catalog/credentials.ts');
    // Signed in? Asked before anyone types material into the terminal.
    const api = ctx.api();
    const { bytes, source } = await readMaterial(ctx, args, name);
    let payload: string;
    try {
      if (bytes.length === 0) throw new UsageError(`the credential material from ${source} is empty`, name);
      payload = bytes.toString('base64');
      if (payload.length > MAX_PAYLOAD_CHARS) {
        throw new UsageError(`the credential material from ${source} is ${bytes.length} bytes; the broker takes at most ${(MAX_PAYLOAD_CHARS / 4) * 3}`, name);
      }
    } finally {
      bytes.fill(0);
    }
    // The problems checkBody reports name fields, never their values.
    const body = checkBody(
      IssueCredentialBodySchema,
      { display_name: displayName(args, name), payload, ...(expiresAt !== undefined && { expires_at: expiresAt }) },
      { display_name: '--display-name', payload: '--payload-file/--payload-stdin', expires_at: '--expires-at' },
      name,
    );
    const c = (await api.POST('/v1/clouds/{id}/cloud-credentials', { ...byId(cloudId), body })).body;
    return result(c, `Issued credential ${c.display_name}; its material is in the vault and is not shown again.\n${credentialDetails(c)}`);
  },
};

const credentialRevoke: Command = {
  path: ['cloud', 'credential', 'revoke'],
  summary: 'Revoke a cloud credential for good (needs --yes)',
  description: [
    'A revoked credential can no longer be assigned or used for new Resources. Its material stays',
    'in the vault, so Resources already provisioned with it can still be torn down. Revoking a',
    'revoked credential changes nothing.',
  ].join('\n'),
  positionals: idArg(CREDENTIAL),
  flags: {
    reason: { type: 'string', placeholder: 'text', required: true, description: 'why (kept with the credential)' },
    yes: { type: 'boolean', description: 'confirm: revocation cannot be undone' },
  },
  examples: ['plexctl cloud credential revoke "$CREDENTIAL_ID" --profile operator --reason "keys rotated" --yes'],
  async run(ctx, args) {
    const name = 'cloud credential revoke';
    const id = args.positionals[0] ?? '';
    if (!boolFlag(args, 'yes')) throw new UsageError(`revoking cannot be undone; add --yes to revoke credential ${id}`, name);
    const { RevokeCredentialBodySchema } = await import('../../functions/core/catalog/credentials.ts');
    const body = checkBody(RevokeCredentialBodySchema, { reason: stringFlag(args, 'reason') }, { reason: '--reason' }, name);
    const c = (await ctx.api().POST('/v1/cloud-credentials/{id}/revoke', { ...byId(id), body })).body;
    return result(c, `Revoked credential ${c.display_name}.\n${credentialDetails(c)}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Blueprints.

const blueprintCreate: Command = {
  path: ['blueprint', 'create'],
  summary: 'Create a Blueprint (then publish versions of it)',
  flags: {
    slug: { type: 'string', placeholder: 'slug', required: true, description: 'lowercase words joined by dashes, unique among the Blueprints' },
    'display-name': { type: 'string', placeholder: 'name', required: true, description: 'the name people see' },
    description: { type: 'string', placeholder: 'text', description: 'what it provisions' },
  },
  examples: [
    'BLUEPRINT_ID=$(plexctl blueprint create --profile operator --slug small-vm --display-name "Small VM" \\',
    "  --description 'One EC2 instance joined to the mesh' --output json | jq -r '.id')",
  ],
  async run(ctx, args) {
    const name = 'blueprint create';
    const slug = await checkSlug(stringFlag(args, 'slug'), name);
    const description = stringFlag(args, 'description');
    const { CreateBlueprintBodySchema } = await import('../../functions/core/catalog/blueprints.ts');
    const body = checkBody(
      CreateBlueprintBodySchema,
      { slug, display_name: displayName(args, name), ...(description !== undefined && { description }) },
      { slug: '--slug', display_name: '--display-name', description: '--description' },
      name,
    );
    const b = (await ctx.api().POST('/v1/blueprints', { body })).body;
    return result(b, `Created blueprint ${b.slug}. Next: plexctl blueprint version publish ${b.id} --version <v>\n${blueprintDetails(b)}`);
  },
};

/** The parameter schema document in the file, checked with the broker's own rules. */
async function parameterSchemaFrom(path: string, command: string): Promise<unknown> {
  const flag = '--parameter-schema-file';
  const text = readUserFile(path, flag, command).toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${path} is not valid JSON (${(err as Error).message})`, command);
  }
  const { parseParameterSchema } = await import('../../functions/core/catalog/parameter-schema.ts');
  try {
    parseParameterSchema(doc);
  } catch (err) {
    const errors = (err as { extra?: { errors?: Array<{ path: string; message: string }> } }).extra?.errors;
    if (!errors) throw err;
    const where = errors.map((e) => `${e.path.replace(/^parameter_schema\.?/, '') || 'the document'}: ${e.message}`);
    throw new UsageError(`${flag}: ${path} is not a parameter schema: ${where.join('; ')}`, command);
  }
  return doc;
}

const versionPublish: Command = {
  path: ['blueprint', 'version', 'publish'],
  summary: 'Publish an immutable version of a Blueprint',
  description: [
    'A version never changes once published: publish the next one instead. The parameter schema',
    'file is a JSON document {"parameters": [...]} (or just the list), each parameter',
    '{"name": "size", "type": "boolean|integer|string", "required": false, "default": 1};',
    'only an optional parameter takes a default. Without the file the version takes no parameters.',
  ].join('\n'),
  positionals: idArg(BLUEPRINT),
  flags: {
    version: { type: 'string', placeholder: 'v', required: true, description: 'the version name, e.g. v1 or 2.0.1; unique within the Blueprint' },
    'parameter-schema-file': { type: 'string', placeholder: 'path', description: 'a JSON file declaring the parameters a Resource passes' },
    'provider-kinds': { type: 'string', placeholder: 'kinds', description: 'comma-separated: aws, gcp, hetzner, openstack (default aws)' },
    'injection-strategy': {
      type: 'string',
      placeholder: 'strategy',
      description: 'how the node gets its bootstrap: cloud-init-user-data (default), helm-values or provider-secret',
    },
  },
  examples: [
    'cat > small-vm.params.json <<\'EOF\'',
    '{"parameters": [{"name": "size", "type": "integer", "required": false, "default": 1}]}',
    'EOF',
    'plexctl blueprint version publish "$BLUEPRINT_ID" --profile operator --version v1 \\',
    '  --parameter-schema-file small-vm.params.json --provider-kinds aws',
  ],
  async run(ctx, args) {
    const name = 'blueprint version publish';
    const blueprintId = args.positionals[0] ?? '';
    const { INJECTION_STRATEGIES, PROVIDER_KINDS, PublishVersionBodySchema } = await import('../../functions/core/catalog/blueprints.ts');
    const kinds = (stringFlag(args, 'provider-kinds') ?? 'aws').split(',').map((k) => k.trim());
    for (const kind of kinds) oneOf(kind, PROVIDER_KINDS, '--provider-kinds', name);
    const repeated = kinds.find((k, i) => kinds.indexOf(k) !== i);
    if (repeated !== undefined) throw new UsageError(`--provider-kinds names ${repeated} twice`, name);
    const strategy = oneOf(stringFlag(args, 'injection-strategy') ?? 'cloud-init-user-data', INJECTION_STRATEGIES, '--injection-strategy', name);
    const schemaFile = stringFlag(args, 'parameter-schema-file');
    const parameterSchema = schemaFile === undefined ? { parameters: [] } : await parameterSchemaFrom(schemaFile, name);
    const body = checkBody(
      PublishVersionBodySchema,
      { version: stringFlag(args, 'version'), provider_kinds: kinds, injection_strategy: strategy, parameter_schema: parameterSchema },
      { version: '--version', provider_kinds: '--provider-kinds', injection_strategy: '--injection-strategy', parameter_schema: '--parameter-schema-file' },
      name,
    );
    const v = (await ctx.api().POST('/v1/blueprints/{id}/versions', { ...byId(blueprintId), body })).body;
    return result(v, `Published version ${v.version} of blueprint ${blueprintId}.\n${table([v], versionColumns)}`);
  },
};

export const CURATION_COMMANDS: readonly Command[] = [cloudCreate, cloudDelete, credentialCreate, credentialRevoke, blueprintCreate, versionPublish];
