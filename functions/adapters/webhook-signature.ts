// Standard Webhooks signatures (https://www.standardwebhooks.com): the secret is `whsec_` and the
// base64 of random bytes; a delivery is signed with HMAC-SHA256, keyed by those decoded bytes, over
// `<webhook-id>.<webhook-timestamp>.<body>`, and sent as `webhook-signature: v1,<base64 of the MAC>`.
import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
/** 32 bytes: inside the 24 to 64 the specification asks for. */
const SECRET_BYTES = 32;

/** A new signing secret. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** The key bytes of a `whsec_` secret. */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('A webhook secret starts with whsec_.');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  if (key.length < 24) throw new Error('A webhook secret holds at least 24 bytes.');
  return key;
}

/** The `webhook-signature` header's value for one attempt. */
export function webhookSignature(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three Standard Webhooks headers of one attempt. */
export function signedHeaders(secret: string, messageId: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': webhookSignature(secret, messageId, timestampSeconds, body),
  };
}
