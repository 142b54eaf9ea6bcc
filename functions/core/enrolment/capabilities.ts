import { decodeBase64Key } from '../base64.ts';
import { InvalidInputError, NotFoundError, UnprocessableError } from '../errors.ts';
import type { NodeIdentity } from './node-auth.ts';
import type { CapabilityManifest, EnrolmentPorts } from './ports.ts';
import { type CapabilitiesView, type CapabilityManifestBody, MANIFEST_FIELDS } from './schemas.ts';

// What a node declares it can do (PUT /v1/nodes/{id}/capabilities): its binary, host key and hooks.

const MAX_HOOKS = 128;

function hasDuplicates(names: string[]): boolean {
  return new Set(names).size !== names.length;
}

/** Enforces the manifest's invariants, with the contract's code for each. */
export function canonicalManifest(body: CapabilityManifestBody): CapabilityManifest {
  const version = body.binary_version?.trim();
  if (!version) throw new InvalidInputError('binary_version_empty', 'binary_version must not be empty.');
  if (!body.binary_checksum || !decodeBase64Key(body.binary_checksum)) {
    throw new InvalidInputError('binary_checksum_invalid', 'binary_checksum must be a 32-byte SHA-256 digest in standard base64.');
  }
  const fingerprint = body.ssh_host_key_fingerprint ?? '';
  if (fingerprint !== '' && !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(fingerprint)) {
    throw new InvalidInputError('ssh_host_key_fingerprint_invalid', 'ssh_host_key_fingerprint must look like SHA256:<base64>.');
  }
  const declared = body.declared_hooks ?? [];
  if (declared.length > MAX_HOOKS) throw new InvalidInputError('declared_hooks_too_many', `At most ${MAX_HOOKS} declared hooks.`);
  if (declared.some((h) => !h.name.trim() || !decodeBase64Key(h.checksum))) {
    throw new InvalidInputError('declared_hook_invalid', 'Each declared hook needs a name and a 32-byte base64 checksum.');
  }
  if (hasDuplicates(declared.map((h) => h.name)))
    throw new InvalidInputError('declared_hook_duplicate', 'Declared hook names must be unique.');
  const plexd = body.plexd_hooks ?? [];
  if (plexd.length > MAX_HOOKS) throw new UnprocessableError('plexd_hooks_too_many', `At most ${MAX_HOOKS} plexd hooks.`);
  if (plexd.some((h) => !h.name.trim() || !/^sha256:[0-9a-f]{64}$/.test(h.image_digest) || (h.timeout_seconds ?? 0) < 0)) {
    throw new UnprocessableError(
      'plexd_hook_invalid',
      'Each plexd hook needs a name, a sha256:<hex> image digest and a non-negative timeout.',
    );
  }
  if (hasDuplicates(plexd.map((h) => h.name))) throw new UnprocessableError('plexd_hook_duplicate', 'plexd hook names must be unique.');
  return {
    binary_version: version,
    binary_checksum: body.binary_checksum,
    ssh_host_key_fingerprint: fingerprint,
    declared_hooks: declared,
    plexd_hooks: plexd,
  };
}

/** Stores the node's manifest and says what changed against the one before (sorted field names). */
export async function recordCapabilities(
  ports: Pick<EnrolmentPorts, 'nodes' | 'clock'>,
  identity: NodeIdentity,
  body: CapabilityManifestBody,
): Promise<CapabilitiesView> {
  const manifest = canonicalManifest(body);
  const previous = (await ports.nodes.getCapabilities(identity.nodeId))?.manifest;
  const isEmpty = (value: unknown) => value === '' || (Array.isArray(value) && value.length === 0);
  const changed = MANIFEST_FIELDS.filter((field) =>
    previous ? JSON.stringify(previous[field]) !== JSON.stringify(manifest[field]) : !isEmpty(manifest[field]),
  );
  const at = ports.clock.now().toISOString();
  if (!(await ports.nodes.putCapabilities(identity.nodeId, { manifest, accepted_at: at }))) {
    throw new NotFoundError('capabilities_node_not_found', 'The node no longer exists.');
  }
  return { accepted_at: at, fields_changed: [...changed], host_key_changed: changed.includes('ssh_host_key_fingerprint') };
}
