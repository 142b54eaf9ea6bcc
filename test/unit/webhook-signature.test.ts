import { Webhook as StandardWebhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, secretKey, signedHeaders, webhookSignature } from '../../functions/adapters/webhook-signature.ts';

// Our signer against the Standard Webhooks reference library (`standardwebhooks`, which we did not
// write): what we sign, it verifies; what it signs, we produce byte for byte.

describe('webhook signatures', () => {
  it('makes secrets of whsec_ and 32 random bytes, each new', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(a)).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(a);
    expect(() => secretKey('nope')).toThrow(/whsec_/);
  });

  it('signs as the specification’s own example does', () => {
    // The example of the Standard Webhooks specification.
    const signature = webhookSignature('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('is verified by the reference library, and agrees with its signer', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ id: '0192f1c0-0000-7000-8000-000000000001', seq: 7, type: 'resource.created', data: { ü: 'ünïcödé' } });
    const now = Math.floor(Date.now() / 1000);
    const headers = signedHeaders(secret, 'evt-1', now, body);
    const reference = new StandardWebhook(secret);
    expect(reference.verify(body, headers)).toEqual(JSON.parse(body));
    expect(headers['webhook-signature']).toBe(reference.sign('evt-1', new Date(now * 1000), body));
  });

  it('is refused by the reference library when the body, the id, the time or the secret differ', () => {
    const secret = newWebhookSecret();
    const body = '{"seq":1}';
    const now = Math.floor(Date.now() / 1000);
    const headers = signedHeaders(secret, 'evt-1', now, body);
    const reference = new StandardWebhook(secret);
    expect(() => reference.verify('{"seq":2}', headers)).toThrow();
    expect(() => reference.verify(body, { ...headers, 'webhook-id': 'evt-2' })).toThrow();
    expect(() => reference.verify(body, { ...headers, 'webhook-timestamp': String(now + 1) })).toThrow();
    expect(() => new StandardWebhook(newWebhookSecret()).verify(body, headers)).toThrow();
    // An old attempt (an hour ago) is refused as a replay, though its signature is right.
    expect(() => reference.verify(body, signedHeaders(secret, 'evt-1', now - 3600, body))).toThrow(/too old/);
  });
});
