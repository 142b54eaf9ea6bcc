import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bootstrapTokenKeyId, HmacBootstrapTokenMinter } from '../../functions/adapters/bootstrap-token-minter.ts';
import {
  base32Decode,
  base32Encode,
  bootstrapTokenKind,
  bootstrapTokenValidity,
  credentialEnv,
  formatBootstrapToken,
  parseBootstrapToken,
} from '../../functions/core/bootstrap-tokens.ts';
import { ConflictError, NotFoundError } from '../../functions/core/errors.ts';
import type { Vault, VaultedSecret } from '../../functions/core/vault.ts';

const PROJECT = '019100a0-0a00-7000-8000-000000000001';
const RESOURCE = '01920000-0000-7000-8000-00000000abcd';
const text = (s: string) => new TextEncoder().encode(s);

/** An in-memory vault; `beforeCreate` lets a test slip a rival's key in between read and create. */
class FakeVault implements Vault {
  readonly secrets = new Map<string, string>();
  creates = 0;
  beforeCreate: ((name: string) => void) | undefined;

  async create(name: string, value: string): Promise<VaultedSecret> {
    this.beforeCreate?.(name);
    this.creates++;
    if (this.secrets.has(name)) throw new ConflictError('secret_exists', name);
    this.secrets.set(name, value);
    return { arn: `arn:${name}`, versionId: 'v1' };
  }
  async read(name: string) {
    const value = this.secrets.get(name);
    if (value === undefined) throw new NotFoundError('secret_not_found', name);
    return { value, versionId: 'v1' };
  }
  async put(name: string, value: string): Promise<VaultedSecret> {
    this.secrets.set(name, value);
    return { arn: `arn:${name}`, versionId: 'v2' };
  }
  async describe(name: string) {
    return { arn: `arn:${name}`, currentVersionId: 'v1' };
  }
  async remove(name: string) {
    this.secrets.delete(name);
  }
}

describe('base32 (RFC 4648, lowercase, unpadded)', () => {
  it('encodes the RFC test vectors', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'my'],
      ['fo', 'mzxq'],
      ['foo', 'mzxw6'],
      ['foob', 'mzxw6yq'],
      ['fooba', 'mzxw6ytb'],
      ['foobar', 'mzxw6ytboi'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(base32Encode(text(plain))).toBe(encoded);
      expect(base32Decode(encoded)).toEqual(text(plain));
    }
  });

  it('refuses foreign characters and non-canonical trailing bits', () => {
    expect(base32Decode('MZXW6')).toBeUndefined();
    expect(base32Decode('mzxw1')).toBeUndefined();
    expect(base32Decode('mz')).toBeUndefined(); // 'my' is the canonical form of "f"
  });
});

describe('bootstrap token format', () => {
  it('puts the base32 of the 16 project-id bytes in the token', () => {
    const token = formatBootstrapToken({ env: 'local', projectId: PROJECT, random: 'abcdefghijklmnopqrst' });
    expect(token).toBe('psb_local_agiqbiakabyabaaaaaaaaaaaae_node_abcdefghijklmnopqrst');
    expect(formatBootstrapToken({ env: 'prod', projectId: 'ffffffff-ffff-ffff-ffff-ffffffffffff', random: 'a'.repeat(20) })).toBe(
      `psb_prod_${'7'.repeat(25)}4_node_${'a'.repeat(20)}`,
    );
  });

  it('parses what it formats', () => {
    const parts = { env: 'dev', projectId: PROJECT, random: 'zyxwvutsrq234567abcdefghijklmnop' };
    expect(parseBootstrapToken(formatBootstrapToken(parts))).toEqual(parts);
  });

  it('rejects anything but a node token in canonical form', () => {
    const good = formatBootstrapToken({ env: 'local', projectId: PROJECT, random: 'a'.repeat(32) });
    expect(parseBootstrapToken(good)).toBeDefined();
    expect(parseBootstrapToken(good.replace('_node_', '_bridge_'))).toBeUndefined();
    expect(bootstrapTokenKind(good.replace('_node_', '_bridge_'))).toBe('bridge');
    expect(parseBootstrapToken(good.toUpperCase())).toBeUndefined();
    expect(parseBootstrapToken(`${good}=`)).toBeUndefined();
    expect(parseBootstrapToken(good.replace(/_node_.*/, '_node_tooshort'))).toBeUndefined();
    // 26 characters carry 130 bits: the spare two must be zero.
    expect(parseBootstrapToken(good.replace('aaaaae_node', 'aaaaaf_node'))).toBeUndefined();
    expect(parseBootstrapToken('psb_local_agiqbiakabyabaaaaaaaaaaaa_node_aaaaaaaaaaaaaaaaaaaa')).toBeUndefined();
    expect(() => formatBootstrapToken({ env: 'dev-2', projectId: PROJECT, random: 'a'.repeat(20) })).toThrow();
  });

  it('writes a stage as letters only', () => {
    expect(credentialEnv('local')).toBe('local');
    expect(credentialEnv('dev-2')).toBe('dev');
    expect(credentialEnv('42')).toBe('local');
  });

  it('expires a token ttl seconds after it was minted', () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    expect(bootstrapTokenValidity(now, 900)).toEqual({ issued_at: '2026-01-01T00:00:00.000Z', expires_at: '2026-01-01T00:15:00.000Z' });
  });
});

describe('HmacBootstrapTokenMinter', () => {
  it('mints the same token for the same input, and a different one for another', async () => {
    const vault = new FakeVault();
    const minter = new HmacBootstrapTokenMinter(vault, 'local');
    const input = { projectId: PROJECT, resourceId: RESOURCE, salt: 'run-1' };
    const first = await minter.mint(input);
    expect(await minter.mint({ ...input })).toEqual(first);
    // A cold container reading the same vault mints the same token: the key is shared, not per process.
    expect(await new HmacBootstrapTokenMinter(vault, 'local').mint(input)).toEqual(first);
    expect((await minter.mint({ ...input, salt: 'run-2' })).token).not.toBe(first.token);
    expect((await minter.mint({ ...input, resourceId: '01920000-0000-7000-8000-00000000abce' })).token).not.toBe(first.token);
    expect(vault.creates).toBe(1);
  });

  it('mints a parseable token of the project, and stores only its SHA-256', async () => {
    const minter = new HmacBootstrapTokenMinter(new FakeVault(), 'dev-2');
    const { token, hash } = await minter.mint({ projectId: PROJECT, resourceId: RESOURCE, salt: 's' });
    const parts = parseBootstrapToken(token);
    expect(parts).toMatchObject({ env: 'dev', projectId: PROJECT });
    expect(parts?.random).toMatch(/^[a-z2-7]{32}$/); // 160 bits
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(minter.hash(token)).toBe(hash);
    expect(hash).not.toContain(parts?.random);
  });

  it('uses the key a racing container created first', async () => {
    const vault = new FakeVault();
    // The rival creates its key between our read (not found) and our create.
    vault.beforeCreate = (name) => {
      vault.beforeCreate = undefined;
      vault.secrets.set(name, JSON.stringify({ hmac_key: Buffer.alloc(32, 7).toString('base64') }));
    };
    const raced = await new HmacBootstrapTokenMinter(vault, 'local').mint({ projectId: PROJECT, resourceId: RESOURCE, salt: 's' });
    const fresh = new FakeVault();
    fresh.secrets.set(bootstrapTokenKeyId('local'), JSON.stringify({ hmac_key: Buffer.alloc(32, 7).toString('base64') }));
    expect(await new HmacBootstrapTokenMinter(fresh, 'local').mint({ projectId: PROJECT, resourceId: RESOURCE, salt: 's' })).toEqual(raced);
    expect(fresh.creates).toBe(0);
  });
});
