import { derToJoseSignature } from '../../functions/adapters/es256.ts';
import { KmsKeys } from '../../functions/adapters/kms-keys.ts';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A compact JWS over any header and payload, signed by a KMS key of the running stack (the client
 * finds the local KMS through AWS_ENDPOINT_URL_KMS): tests forge what only the auth group could sign.
 */
export async function signWithKmsKey(keyId: string, header: object, payload: object): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`;
  const der = await new KmsKeys().sign(keyId, Buffer.from(input));
  return `${input}.${derToJoseSignature(der).toString('base64url')}`;
}
