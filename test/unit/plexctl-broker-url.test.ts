import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBrokerUrl, isLoopbackHost, isUnderBroker } from '../../cli/broker-url.ts';
import { saveConfig } from '../../cli/config.ts';
import { EXIT } from '../../cli/errors.ts';
import { runCaptured } from '../support/plexctl.ts';

// #14 item 8, plexctl's side: a token goes over plain http only to this machine (or with
// --insecure), and login opens a sign-in page only when it is the broker's own.

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A config folder whose default profile is signed in to `url`. */
function signedInTo(url: string): NodeJS.ProcessEnv {
  const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'plexctl-url-')) };
  dirs.push(env.XDG_CONFIG_HOME);
  saveConfig({ profiles: { default: { url, token: 't', token_expires_at: '2999-01-01T00:00:00Z', domain_id: 'd' } } }, env);
  return env;
}

/** A fetch that records what was asked and answers `answer(url)`. */
function recording(answer: (url: string) => Response) {
  const sent: string[] = [];
  const fetch = async (input: string) => {
    sent.push(input);
    return answer(input);
  };
  return { sent, fetch };
}

describe('broker URL checks', () => {
  it.each(['localhost', 'app.localhost', '127.0.0.1', '127.255.0.9', '[::1]', '::1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['example.com', '127.0.0.1.evil.example', '128.0.0.1', '10.0.0.1', '127.0.0.256', 'localhost.evil.example', '[::2]'])(
    '%s is not loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );

  it('takes https anywhere, http only to this machine unless --insecure', () => {
    expect(checkBrokerUrl('https://broker.example.com', false)).toBe('https://broker.example.com');
    expect(checkBrokerUrl('http://127.0.0.1:8080', false)).toBe('http://127.0.0.1:8080');
    expect(checkBrokerUrl('http://localhost:8080/', false)).toBe('http://localhost:8080/');
    expect(checkBrokerUrl('http://[::1]:8080', false)).toBe('http://[::1]:8080');
    expect(() => checkBrokerUrl('http://broker.example.com', false)).toThrow(/plain http .* --insecure/);
    expect(checkBrokerUrl('http://broker.example.com', true)).toBe('http://broker.example.com');
    expect(() => checkBrokerUrl('ftp://broker.example.com', true)).toThrow(/https/);
    expect(() => checkBrokerUrl('not a url', true)).toThrow(/not a URL/);
  });

  it('counts a page as the broker’s only on its origin and under its path', () => {
    const broker = 'https://broker.example.com/plexsphere';
    expect(isUnderBroker('https://broker.example.com/plexsphere/v1/auth/device?user_code=AB', broker)).toBe(true);
    expect(isUnderBroker('https://broker.example.com/plexsphere', broker)).toBe(true);
    for (const page of [
      'https://evil.example.com/plexsphere/v1/auth/device',
      'http://broker.example.com/plexsphere/v1/auth/device',
      'https://broker.example.com:8443/plexsphere/v1/auth/device',
      'https://broker.example.com/plexsphere-evil/v1/auth/device',
      'https://broker.example.com/other/v1/auth/device',
      'https://broker.example.com.evil.example/plexsphere/v1/auth/device',
      'https://user:pw@broker.example.com/plexsphere/v1/auth/device',
      'https://broker.example.com/plexsphere/../other/v1/auth/device',
      'javascript:alert(1)',
      'not a url',
    ]) {
      expect(isUnderBroker(page, broker), page).toBe(false);
    }
    expect(isUnderBroker('http://127.0.0.1:8080/v1/auth/device', 'http://127.0.0.1:8080')).toBe(true);
  });
});

describe('plexctl and the broker URL', () => {
  it('refuses an http:// broker that is not this machine before sending anything, and goes with --insecure', async () => {
    const env = signedInTo('http://broker.example.com');
    const { sent, fetch } = recording(() => Response.json({ items: [] }));
    const refused = await runCaptured(['project', 'list'], { env, fetch });
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain('--insecure');
    expect(sent).toEqual([]);
    const allowed = await runCaptured(['project', 'list', '--insecure'], { env, fetch });
    expect(allowed.code, allowed.stderr).toBe(EXIT.ok);
    expect(sent).toEqual([expect.stringMatching(/^http:\/\/broker\.example\.com\/v1\/projects\b/)]);
  });

  it('refuses login to such a broker too', async () => {
    const { sent, fetch } = recording(() => Response.json({}));
    const out = await runCaptured(['login', '--url', 'http://broker.example.com', '--domain-id', 'd'], { env: signedInTo('https://x.example'), fetch });
    expect(out.code).toBe(EXIT.usage);
    expect(sent).toEqual([]);
  });

  /** A login whose device-code answer names `page`; the sign-in is then denied, which ends it. */
  async function loginShowing(page: string) {
    const opened: string[] = [];
    const { fetch } = recording((url) =>
      url.endsWith('/v1/auth/device-code')
        ? Response.json({ device_code: 'dc', user_code: 'ABCD-EFGH', verification_uri: page.split('?')[0], verification_uri_complete: page, expires_in: 600, interval: 1 })
        : Response.json({ type: 'about:blank', title: 'denied', status: 400, code: 'access_denied' }, { status: 400, headers: { 'content-type': 'application/problem+json' } }),
    );
    const out = await runCaptured(['login', '--url', 'https://broker.example.com', '--domain-id', 'd'], {
      env: signedInTo('https://broker.example.com'),
      fetch,
      sleep: async () => {},
      openBrowser: (u) => {
        opened.push(u);
        return true;
      },
    });
    return { out, opened };
  }

  it("opens the broker's own sign-in page", async () => {
    const page = 'https://broker.example.com/v1/auth/device?user_code=ABCD-EFGH';
    const { out, opened } = await loginShowing(page);
    expect(opened).toEqual([page]);
    expect(out.stderr).toContain('Opened it in your browser.');
  });

  it('does not open a sign-in page elsewhere, and warns', async () => {
    const { out, opened } = await loginShowing('https://broker.example.com.evil.example/v1/auth/device?user_code=ABCD-EFGH');
    expect(opened).toEqual([]);
    expect(out.stderr).toContain('not under https://broker.example.com; not opening it');
  });
});
