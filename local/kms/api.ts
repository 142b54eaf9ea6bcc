// In-process emulator of the AWS KMS JSON API (awsJson1_1, TrentService), enough for the access-token
// keys: CreateKey, DescribeKey, ListKeys, CreateAlias, GetPublicKey, Sign, Verify, for ECC_NIST_P256
// SIGN_VERIFY keys made with node:crypto. State lives under dataDir (store.ts), so a restart keeps
// the keys. Key material is never logged nor put in errors.
import { createPublicKey, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import * as z from 'zod';
import { fail, runOperation, serveJsonStore, signedRegion } from '../aws-json-protocol.ts';
import { KmsStore, type StoredKey } from './store.ts';

const ACCOUNT = '000000000000';
const DEFAULT_REGION = 'us-east-1';
const MAX_BODY_BYTES = 256 * 1024;
const MAX_RAW_MESSAGE = 4096;
const SPEC = 'ECC_NIST_P256';
const ALGORITHM = 'ECDSA_SHA_256';

// The enums as AWS documents them: a value outside one is a ValidationException, a valid one we do not serve is not.
const KEY_SPECS = [
  'RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1',
  'SYMMETRIC_DEFAULT', 'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'SM2', 'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87', 'ECC_NIST_EDWARDS25519',
];
const SIGNING_ALGORITHMS = [
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512', 'ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', 'SM2DSA', 'ML_DSA_SHAKE_256', 'ED25519_SHA_512', 'ED25519_PH_SHA_512',
];

const KeyId = z.string().min(1).max(2048);
const Blob = z.base64();
const SignInput = {
  KeyId,
  Message: Blob,
  MessageType: z.enum(['RAW', 'DIGEST', 'EXTERNAL_MU']).optional(),
  SigningAlgorithm: z.string(),
  GrantTokens: z.array(z.string()).optional(),
  DryRun: z.boolean().optional(),
};

/** The operations served and the input each takes; the Kms method of the same name answers it. */
const INPUTS = {
  CreateKey: z.object({
    KeySpec: z.string().optional(),
    CustomerMasterKeySpec: z.string().optional(),
    KeyUsage: z.string().optional(),
    Description: z.string().max(8192).optional(),
    Policy: z.string().optional(),
    Origin: z.string().optional(),
    MultiRegion: z.boolean().optional(),
    BypassPolicyLockoutSafetyCheck: z.boolean().optional(),
    Tags: z.array(z.object({ TagKey: z.string(), TagValue: z.string() })).optional(),
  }),
  DescribeKey: z.object({ KeyId, GrantTokens: z.array(z.string()).optional() }),
  ListKeys: z.object({ Limit: z.number().int().min(1).max(1000).optional(), Marker: z.string().optional() }),
  CreateAlias: z.object({ AliasName: z.string().min(1).max(256), TargetKeyId: KeyId }),
  GetPublicKey: z.object({ KeyId, GrantTokens: z.array(z.string()).optional() }),
  Sign: z.object(SignInput),
  Verify: z.object({ ...SignInput, Signature: Blob }),
};
type Input<K extends keyof typeof INPUTS> = z.infer<(typeof INPUTS)[K]>;

function metadata(key: StoredKey) {
  return {
    AWSAccountId: ACCOUNT,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: key.createdDate,
    Enabled: true,
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: 'Enabled',
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    SigningAlgorithms: [ALGORITHM],
    MultiRegion: false,
  };
}

/** The message to sign or verify, checked as AWS checks it; DIGEST is not served (node:crypto cannot sign a prehashed digest). */
function messageOf(input: Input<'Sign'>): Buffer {
  if (!SIGNING_ALGORITHMS.includes(input.SigningAlgorithm)) {
    fail('ValidationException', `1 validation error detected: Value '${input.SigningAlgorithm}' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set`);
  }
  if (input.SigningAlgorithm !== ALGORITHM) fail('InvalidKeyUsageException', `The signing algorithm ${input.SigningAlgorithm} is not valid for this key.`);
  if (input.MessageType !== undefined && input.MessageType !== 'RAW') {
    fail('UnsupportedOperationException', `MessageType ${input.MessageType} is not supported by the local emulator.`);
  }
  const message = Buffer.from(input.Message, 'base64');
  if (message.length < 1 || message.length > MAX_RAW_MESSAGE) {
    fail('ValidationException', "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length between 1 and 4096");
  }
  return message;
}

/** The service actions, over the store. */
class Kms {
  constructor(private readonly store: KmsStore) {}

  handle(operation: string, body: unknown, region: string): Promise<unknown> {
    return runOperation(this, INPUTS, operation, body, 'ValidationException', region);
  }

  async CreateKey(input: Input<'CreateKey'>, region: string) {
    const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
    if (!KEY_SPECS.includes(spec)) fail('ValidationException', `1 validation error detected: Value '${spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set`);
    if (spec !== SPEC) fail('UnsupportedOperationException', `KeySpec ${spec} is not supported by the local emulator; it serves ${SPEC} SIGN_VERIFY keys.`);
    const usage = input.KeyUsage ?? 'ENCRYPT_DECRYPT';
    if (usage !== 'SIGN_VERIFY') fail('ValidationException', `KeyUsage ${usage} is not compatible with KeySpec ${spec}`);
    if (input.Origin !== undefined && input.Origin !== 'AWS_KMS') fail('UnsupportedOperationException', `Origin ${input.Origin} is not supported by the local emulator.`);
    const keyId = randomUUID();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key: StoredKey = {
      keyId,
      arn: `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`,
      description: input.Description ?? '',
      createdDate: Date.now() / 1000,
      keySpec: SPEC,
      keyUsage: 'SIGN_VERIFY',
      privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    this.store.add(key);
    await this.store.save();
    return { KeyMetadata: metadata(key) };
  }

  DescribeKey(input: Input<'DescribeKey'>) {
    return { KeyMetadata: metadata(this.store.find(input.KeyId)) };
  }

  ListKeys() {
    return { Keys: this.store.list().map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })), Truncated: false };
  }

  async CreateAlias(input: Input<'CreateAlias'>, region: string) {
    if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(input.AliasName) || input.AliasName.startsWith('alias/aws/')) {
      fail('ValidationException', `Alias must start with the prefix "alias/" and may not begin with "alias/aws/".`);
    }
    if (this.store.hasAlias(input.AliasName)) {
      fail('AlreadyExistsException', `An alias with the name arn:aws:kms:${region}:${ACCOUNT}:${input.AliasName} already exists`);
    }
    const key = this.store.find(input.TargetKeyId);
    this.store.setAlias(input.AliasName, key.keyId);
    await this.store.save();
    return {};
  }

  GetPublicKey(input: Input<'GetPublicKey'>) {
    const key = this.store.find(input.KeyId);
    const spki = createPublicKey(key.privateKeyPem).export({ format: 'der', type: 'spki' });
    return {
      KeyId: key.arn,
      PublicKey: spki.toString('base64'),
      CustomerMasterKeySpec: key.keySpec,
      KeySpec: key.keySpec,
      KeyUsage: key.keyUsage,
      SigningAlgorithms: [ALGORITHM],
    };
  }

  Sign(input: Input<'Sign'>) {
    const key = this.store.find(input.KeyId);
    const message = messageOf(input);
    // DER, as KMS answers an ECDSA signature.
    const signature = sign('sha256', message, { key: key.privateKeyPem, dsaEncoding: 'der' });
    return { KeyId: key.arn, Signature: signature.toString('base64'), SigningAlgorithm: ALGORITHM };
  }

  Verify(input: Input<'Verify'>) {
    const key = this.store.find(input.KeyId);
    const message = messageOf(input);
    const signature = Buffer.from(input.Signature, 'base64');
    let valid = false;
    try {
      valid = verify('sha256', message, { key: createPublicKey(key.privateKeyPem), dsaEncoding: 'der' }, signature);
    } catch {
      valid = false;
    }
    // AWS answers a signature that does not verify with an error, never SignatureValid false.
    if (!valid) fail('KMSInvalidSignatureException', 'The signature is not valid.');
    return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: ALGORITHM };
  }
}

export async function startKms(opts: { dataDir: string; port?: number; host?: string }): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const store = await KmsStore.load(opts.dataDir);
  const service = new Kms(store);
  return serveJsonStore(store, {
    service: 'TrentService',
    version: '1.1',
    host: opts.host,
    port: opts.port,
    maxBodyBytes: MAX_BODY_BYTES,
    tooLargeType: 'ValidationException',
    internalErrorType: 'KMSInternalException',
    handle: (operation, body, req) => service.handle(operation, body, signedRegion(req) ?? DEFAULT_REGION),
  });
}
