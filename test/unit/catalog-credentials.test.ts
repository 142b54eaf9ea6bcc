import { beforeEach, describe, expect, it } from 'vitest';
import { awsKeysFromSecret } from '../../functions/adapters/aws/substrate-resolver.ts';
import { credentialStatus, credentialView, issueCredential, listCredentials, revokeCredential } from '../../functions/core/catalog/credentials.ts';
import type { CatalogPorts } from '../../functions/core/catalog/store.ts';
import {
  ADMIN,
  AWS_KEYS,
  b64,
  createCloudAs,
  failure,
  type MemoryCatalog,
  type MemoryVault,
  memoryCatalog,
  OPERATOR,
  PREFIX,
} from '../support/catalog-fakes.ts';

// The cloud credential use cases against in-memory fakes of their ports: the material goes to the vault, never into the view.

let store: MemoryCatalog;
let vault: MemoryVault;
let now: Date;
let ports: CatalogPorts;

beforeEach(() => {
  now = new Date('2026-06-01T00:00:00.000Z');
  ({ store, vault, ports } = memoryCatalog(() => now));
});

const aCloud = (over: Record<string, unknown> = {}) => createCloudAs(ports, over);

describe('cloud credentials', () => {
  it('takes the material back out of the vault when the metadata cannot be written', async () => {
    const cloud = await aCloud();
    // The cloud goes away between the check and the write (a concurrent delete).
    const write = store.createCredential.bind(store);
    store.createCredential = async (credential) => {
      store.clouds.delete(cloud.id);
      return write(credential);
    };
    const err = await failure(issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload: b64(JSON.stringify(AWS_KEYS)) })));
    expect(err.code).toBe('cloud_not_found');
    expect([...vault.secrets.keys()]).toEqual([]);
    expect(store.log.at(-1)).toMatch(/^vault-remove:arn:aws:secretsmanager:/);
  });

  it('writes the material to the vault before the metadata, and keeps it out of the view', async () => {
    const cloud = await aCloud();
    const payload = b64(JSON.stringify(AWS_KEYS));
    const credential = await issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: ' ops key ', payload, key_values: { role: 'x' } }));
    const name = `${PREFIX}${credential.id}`;
    expect(store.log).toEqual([`vault:${name}`, `store:${credential.id}`]);
    expect(credential).toMatchObject({ cloud_id: cloud.id, display_name: 'ops key', version: 1, owner_id: OPERATOR.userId, secret_version_id: 'v1' });
    expect(credential.secret_arn).toContain(name);
    // The vault holds an envelope the substrate can read the keys back from.
    expect(awsKeysFromSecret(vault.secrets.get(name) as string)).toEqual(AWS_KEYS);
    expect(JSON.parse(vault.secrets.get(name) as string).key_values).toEqual({ role: 'x' });
    const view = credentialView(credential, now);
    expect(Object.keys(view).sort()).toEqual(['cloud_id', 'created_at', 'display_name', 'expires_at', 'id', 'owner_id', 'status', 'updated_at', 'version']);
    expect(JSON.stringify(view)).not.toContain(AWS_KEYS.secret_access_key);
    expect(JSON.stringify(view)).not.toContain('arn:');
    expect(view.status).toBe('active');
  });

  it.each([
    ['not base64 at all!', 400, 'invalid_payload'],
    ['', 400, 'invalid_payload'],
    ['YWJj', 422, 'invalid_credential_payload'], // "abc": not JSON
    [b64(JSON.stringify({ access_key_id: 'A' })), 422, 'invalid_credential_payload'],
    [b64(JSON.stringify({ ...AWS_KEYS, extra: 1 })), 422, 'invalid_credential_payload'],
    [b64('{"access_key_id":"A","secret_access_key":"B"}').slice(0, -1), 400, 'invalid_payload'], // broken padding
  ])('rejects payload %j with %i %s and writes nothing anywhere', async (payload, status, code) => {
    const cloud = await aCloud();
    const err = await failure(issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload })));
    expect(err.name).toBe(status === 400 ? 'InvalidInputError' : 'UnprocessableError');
    expect(err.code).toBe(code);
    // Field errors name keys, never the material.
    expect(JSON.stringify(err.extra)).not.toContain('secret_access_key":"');
    expect(vault.secrets.size).toBe(0);
    expect(store.credentials.size).toBe(0);
  });

  it('accepts any decodable payload for an azure cloud', async () => {
    const cloud = await aCloud({ provider: 'azure', endpoint: {}, slug: 'az' });
    const c = await issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload: b64('opaque bytes') }));
    expect(c.cloud_id).toBe(cloud.id);
  });

  it('refuses an unknown cloud, a blank name and a past expiry without touching the vault', async () => {
    const payload = b64(JSON.stringify(AWS_KEYS));
    expect((await failure(issueCredential(ports, OPERATOR, '019100c0-0d00-7000-8000-0000000000ff', () => ({ display_name: 'k', payload })))).code).toBe(
      'cloud_not_found',
    );
    const cloud = await aCloud();
    expect((await failure(issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: ' ', payload })))).code).toBe('invalid_display_name');
    const past = await failure(issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload, expires_at: '2026-05-01T00:00:00Z' })));
    expect([past.name, past.code]).toEqual(['UnprocessableError', 'invalid_expires_at']);
    expect((await failure(issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload, expires_at: 'tomorrow' })))).code).toBe(
      'invalid_expires_at',
    );
    expect(vault.secrets.size).toBe(0);
  });

  it('derives the status from the clock: active, then expired; revoked wins', async () => {
    const cloud = await aCloud();
    // 01:00+01:00 is 00:00Z, the clock's now: not in the future.
    const due = await failure(
      issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload: b64(JSON.stringify(AWS_KEYS)), expires_at: '2026-06-01T01:00:00+01:00' })),
    );
    expect(due.code).toBe('invalid_expires_at');
    const live = await issueCredential(ports, OPERATOR, cloud.id, () => ({
      display_name: 'k',
      payload: b64(JSON.stringify(AWS_KEYS)),
      expires_at: '2026-06-01T03:00:00+02:00',
    }));
    expect(live.expires_at).toBe('2026-06-01T01:00:00.000Z');
    expect(credentialStatus(live, now)).toBe('active');
    expect(credentialStatus(live, new Date('2026-06-01T01:00:00.000Z'))).toBe('expired');
    expect(credentialStatus({ ...live, revoked_at: now.toISOString() }, now)).toBe('revoked');
    const defaulted = await issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload: b64(JSON.stringify(AWS_KEYS)) }));
    expect(defaulted.expires_at).toBe('2027-06-01T00:00:00.000Z');
  });

  it('revokes once; a second revoke answers the unchanged credential', async () => {
    const cloud = await aCloud();
    const c = await issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload: b64(JSON.stringify(AWS_KEYS)) }));
    now = new Date('2026-06-03T00:00:00.000Z');
    const revoked = await revokeCredential(ports, OPERATOR, c.id, () => ({ reason: 'rotated' }));
    expect(revoked.revoked_at).toBe(now.toISOString());
    now = new Date('2026-06-04T00:00:00.000Z');
    const again = await revokeCredential(ports, OPERATOR, c.id, () => ({ reason: 'again' }));
    expect(again).toEqual(revoked);
    expect(again.revoke_reason).toBe('rotated');
    expect((await failure(revokeCredential(ports, OPERATOR, c.id, () => ({ reason: '  ' })))).code).toBe('invalid_revoke_reason');
    expect((await failure(revokeCredential(ports, ADMIN, c.id, () => ({ reason: 'x' })))).code).toBe('permission_denied');
    // The material stays: teardown of machines provisioned with it still needs it.
    expect(vault.secrets.size).toBe(1);
  });

  it('lists a cloud’s credentials and 404s for an unknown cloud', async () => {
    const cloud = await aCloud();
    await issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'a', payload: b64(JSON.stringify(AWS_KEYS)) }));
    expect((await listCredentials(ports, OPERATOR, cloud.id, { limit: 10 })).items).toHaveLength(1);
    expect((await failure(listCredentials(ports, OPERATOR, '019100c0-0d00-7000-8000-0000000000ff', { limit: 10 }))).code).toBe('cloud_not_found');
    expect((await failure(listCredentials(ports, ADMIN, cloud.id, { limit: 10 }))).code).toBe('permission_denied');
  });
});
