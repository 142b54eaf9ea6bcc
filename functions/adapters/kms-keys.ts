// The access-token keys in KMS, through the SDK: GetPublicKey for every group that verifies, Sign
// for the auth group alone (IAM grants it to no other). The client is made on first use, so a
// group that never touches a token never builds one.
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { MAX_SIGNING_INPUT_BYTES } from './token-signer.ts';
import type { PublicKeySource } from './public-key-ring.ts';

const SPEC = 'ECC_NIST_P256';
const ALGORITHM = 'ECDSA_SHA_256';

/** Signs with a KMS key; the private half never leaves KMS. */
export interface MessageSigner {
  /** The DER ECDSA signature of `message` (SHA-256 computed by KMS). */
  sign(keyId: string, message: Uint8Array): Promise<Uint8Array>;
}

export class KmsKeys implements PublicKeySource, MessageSigner {
  private made?: KMSClient;

  constructor(private readonly given?: KMSClient) {}

  private client(): KMSClient {
    this.made ??= this.given ?? new KMSClient({});
    return this.made;
  }

  async publicKey(keyId: string): Promise<Uint8Array> {
    const out = await this.client().send(new GetPublicKeyCommand({ KeyId: keyId }));
    // A key of another kind would sign tokens nobody could check with ES256: refuse it loudly.
    // (KeySpec is the current name; CustomerMasterKeySpec the deprecated one, all moto answers.)
    if (
      (out.KeySpec ?? out.CustomerMasterKeySpec) !== SPEC ||
      out.KeyUsage !== 'SIGN_VERIFY' ||
      !out.SigningAlgorithms?.includes(ALGORITHM) ||
      !out.PublicKey
    ) {
      throw new Error(`The access-token key ${keyId} is not an ${SPEC} SIGN_VERIFY key.`);
    }
    return out.PublicKey;
  }

  async sign(keyId: string, message: Uint8Array): Promise<Uint8Array> {
    // RAW: KMS hashes the message itself (moto does not implement DIGEST); our signing input is far below the limit.
    if (message.length > MAX_SIGNING_INPUT_BYTES) throw new Error('The token is too large to sign.');
    const out = await this.client().send(
      new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: ALGORITHM }),
    );
    if (!out.Signature) throw new Error('KMS answered Sign without a signature.');
    return out.Signature;
  }
}
