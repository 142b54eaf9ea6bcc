import { describe, expect, it } from 'vitest';
import { checkedAddress } from '../../functions/adapters/webhook-sender.ts';
import { addressScope, parseIpv6 } from '../../functions/core/webhooks/ip-address.ts';
import { checkWebhookUrl } from '../../functions/core/webhooks/url-policy.ts';

// Where a webhook may point: on AWS only public https receivers (SSRF), on the embedded stack also
// http to the loopback. Checked on the URL at registration and on what DNS answers at delivery.

const AWS = { allowHttpLoopback: false };
const LOCAL = { allowHttpLoopback: true };
const codeOf = (url: string, policy = AWS): string | undefined => {
  try {
    checkWebhookUrl(url, policy);
    return undefined;
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe('address scopes', () => {
  it.each([
    ['0.0.0.0', 'reserved'],
    ['10.1.2.3', 'private'],
    ['100.64.0.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'reserved'],
    ['fc00::1', 'unique_local'],
    ['fd00:ec2::254', 'unique_local'],
    ['fe80::1', 'link_local'],
    ['ff02::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link_local'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['2002:c0a8:0101::1', 'private'],
    ['[::1]', 'loopback'],
  ])('%s is %s', (address, scope) => {
    expect(addressScope(address)).toBe(scope);
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001:80b::200e'])('%s is public', (address) => {
    expect(addressScope(address)).toBe('public');
  });

  it('parses IPv6 forms exactly and refuses what is not one', () => {
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    expect(parseIpv6('1::8')).toEqual([0, 1, ...Array(12).fill(0), 0, 8]);
    expect(parseIpv6('1:2:3:4:5:6:1.2.3.4')?.slice(12)).toEqual([1, 2, 3, 4]);
    for (const bad of ['1:2:3', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '12345::', 'g::1', '::1.2.3']) expect(parseIpv6(bad), bad).toBeUndefined();
    for (const bad of ['example.com', '1.2.3', '01.2.3.4', '256.1.1.1']) expect(addressScope(bad), bad).toBeUndefined();
  });
});

describe('a webhook URL at registration', () => {
  it('takes a public https URL, as URL normalises it', () => {
    expect(checkWebhookUrl('https://hooks.example.com/in?x=1', AWS).href).toBe('https://hooks.example.com/in?x=1');
    expect(checkWebhookUrl('https://8.8.8.8:8443/in', AWS).host).toBe('8.8.8.8:8443');
  });

  it.each([
    ['http://hooks.example.com/in', 'webhook_url_not_allowed'],
    ['ftp://hooks.example.com/in', 'invalid_webhook_url'],
    ['hooks.example.com/in', 'invalid_webhook_url'],
    ['https://user:pw@hooks.example.com/', 'invalid_webhook_url'],
    ['https://hooks.example.com/#frag', 'invalid_webhook_url'],
    ['https://localhost/in', 'webhook_url_not_allowed'],
    ['https://LOCALHOST./in', 'webhook_url_not_allowed'],
    ['https://app.localhost/in', 'webhook_url_not_allowed'],
    ['https://metadata.google.internal/', 'webhook_url_not_allowed'],
    ['https://printer.local/', 'webhook_url_not_allowed'],
    ['https://intranet/', 'webhook_url_not_allowed'],
    ['https://127.0.0.1/', 'webhook_url_not_allowed'],
    ['https://169.254.169.254/latest/meta-data/', 'webhook_url_not_allowed'],
    ['https://10.0.0.8/', 'webhook_url_not_allowed'],
    ['https://192.168.0.1/', 'webhook_url_not_allowed'],
    // Decimal, octal and hex spellings of 127.0.0.1 and 169.254.169.254: URL reads them as the IP.
    ['https://2130706433/', 'webhook_url_not_allowed'],
    ['https://017700000001/', 'webhook_url_not_allowed'],
    ['https://0177.0.0.1/', 'webhook_url_not_allowed'],
    ['https://0x7f.1/', 'webhook_url_not_allowed'],
    ['https://2852039166/', 'webhook_url_not_allowed'],
    ['https://0xa9.0xfe.0xa9.0xfe/', 'webhook_url_not_allowed'],
    ['https://[::1]/', 'webhook_url_not_allowed'],
    ['https://[::ffff:127.0.0.1]/', 'webhook_url_not_allowed'],
    ['https://[::ffff:169.254.169.254]/', 'webhook_url_not_allowed'],
    ['https://[fd00:ec2::254]/', 'webhook_url_not_allowed'],
    ['https://[fe80::1]/', 'webhook_url_not_allowed'],
    [`https://hooks.example.com/${'x'.repeat(2100)}`, 'invalid_webhook_url'],
  ])('refuses %s (%s)', (url, code) => {
    expect(codeOf(url)).toBe(code);
  });

  it('lets http to the loopback through only where the stack allows it, and nothing else more', () => {
    for (const url of ['http://127.0.0.1:9000/in', 'http://localhost:9000/in', 'http://[::1]:9000/in']) {
      expect(codeOf(url, LOCAL), url).toBeUndefined();
      expect(codeOf(url, AWS), url).toBe('webhook_url_not_allowed');
    }
    for (const url of ['http://10.0.0.1/in', 'https://169.254.169.254/', 'http://hooks.example.com/']) expect(codeOf(url, LOCAL), url).toBe('webhook_url_not_allowed');
  });
});

describe('a webhook URL at delivery', () => {
  const resolving = (addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  const url = new URL('https://hooks.example.com/in');

  it('connects to the address it checked', async () => {
    expect(await checkedAddress(url, AWS, resolving(['93.184.216.34', '2606:2800:220:1::1']))).toEqual({ address: '93.184.216.34', family: 4 });
  });

  it('refuses a name that resolves to any private, loopback, link-local or unique-local address', async () => {
    for (const addresses of [['127.0.0.1'], ['93.184.216.34', '10.0.0.1'], ['169.254.169.254'], ['::1'], ['fd12::1'], ['::ffff:192.168.1.1']]) {
      await expect(checkedAddress(url, AWS, resolving(addresses)), addresses.join()).rejects.toThrow('address_not_allowed');
    }
    await expect(checkedAddress(url, AWS, resolving([]))).rejects.toThrow('dns_failed');
    await expect(
      checkedAddress(url, AWS, async () => {
        throw new Error('ENOTFOUND');
      }),
    ).rejects.toThrow('dns_failed');
  });

  it('lets the loopback through where the stack allows it', async () => {
    expect(await checkedAddress(new URL('http://localhost:9000/'), LOCAL, resolving(['127.0.0.1']))).toEqual({ address: '127.0.0.1', family: 4 });
    await expect(checkedAddress(new URL('http://localhost:9000/'), LOCAL, resolving(['10.0.0.2']))).rejects.toThrow('address_not_allowed');
  });
});
