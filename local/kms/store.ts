// The KMS emulator's state: every key (its private half as PKCS#8 PEM) and alias, in one JSON file
// under dataDir so keys, and so the tokens they signed, survive a restart. Key material is never
// logged nor put in errors.
import * as z from 'zod';
import { ServiceError } from '../aws-json-protocol.ts';
import { loadStateIn, PersistedState } from '../state-file.ts';

const STATE_FILE = 'kms.json';

const KeySchema = z.object({
  keyId: z.string(),
  arn: z.string(),
  description: z.string(),
  createdDate: z.number(),
  keySpec: z.literal('ECC_NIST_P256'),
  keyUsage: z.literal('SIGN_VERIFY'),
  privateKeyPem: z.string(),
});

const StateSchema = z.object({
  keys: z.record(z.string(), KeySchema),
  /** Alias name (`alias/…`) to key id. */
  aliases: z.record(z.string(), z.string()),
});

export type StoredKey = z.infer<typeof KeySchema>;
type State = z.infer<typeof StateSchema>;

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class KmsStore extends PersistedState<State> {
  static async load(dataDir: string): Promise<KmsStore> {
    const { file, state } = await loadStateIn(dataDir, STATE_FILE, StateSchema, () => ({ keys: {}, aliases: {} }), 'KMS');
    return new KmsStore(file, state);
  }

  /** A key by id, key ARN, alias name or alias ARN, as AWS resolves a KeyId; NotFoundException otherwise. */
  find(keyRef: string): StoredKey {
    const aliasAt = keyRef.indexOf(':alias/');
    const alias = keyRef.startsWith('alias/') ? keyRef : keyRef.startsWith('arn:') && aliasAt > 0 ? keyRef.slice(aliasAt + 1) : undefined;
    if (alias !== undefined) {
      const target = this.state.aliases[alias];
      const key = target === undefined ? undefined : this.state.keys[target];
      if (!key) throw new ServiceError('NotFoundException', `Alias ${keyRef} is not found.`);
      return key;
    }
    const id = keyRef.startsWith('arn:') ? /:key\/([^/]+)$/.exec(keyRef)?.[1] : keyRef;
    if (id === undefined || !KEY_ID.test(id)) throw new ServiceError('NotFoundException', `Invalid keyId ${keyRef}`);
    const key = this.state.keys[id.toLowerCase()];
    if (!key || (keyRef.startsWith('arn:') && key.arn !== keyRef)) throw new ServiceError('NotFoundException', `Key '${keyRef}' does not exist`);
    return key;
  }

  hasAlias(name: string): boolean {
    return Object.hasOwn(this.state.aliases, name);
  }

  add(key: StoredKey): void {
    this.state.keys[key.keyId] = key;
  }

  setAlias(name: string, keyId: string): void {
    this.state.aliases[name] = keyId;
  }

  list(): StoredKey[] {
    return Object.values(this.state.keys);
  }
}
