// What a command runs with: the chosen profile and output, the environment, the terminal, and
// the broker clients (signed in or anonymous).
import { checkBrokerUrl } from './broker-url.ts';
import { loadConfig, type Config, DEFAULT_URL, type Profile } from './config.ts';
import { AuthError } from './errors.ts';
import { ApiClient, type FetchLike } from './http.ts';

export interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Where input comes from: process.stdin, or whatever a test hands in. */
export type InputStream = AsyncIterable<Uint8Array | string> & { isTTY?: boolean };

/** Everything plexctl touches of the outside world, so tests can hand in their own. */
export interface Io {
  stdout: Stream;
  stderr: Stream;
  /** Read only by the commands that take material on stdin (e.g. --payload-stdin). */
  stdin?: InputStream;
  env: NodeJS.ProcessEnv;
  fetch?: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Opens a URL in the user's browser; returns false when there is no way to. */
  openBrowser?: (url: string) => boolean;
}

export type OutputFormat = 'table' | 'json';

export class Context {
  readonly io: Io;
  readonly profileName: string;
  readonly output: OutputFormat;
  /** --insecure: http:// to a broker that is not this machine is allowed. */
  readonly insecure: boolean;
  private config: Config | undefined;

  constructor(io: Io, profileName: string, output: OutputFormat, insecure = false) {
    this.io = io;
    this.profileName = profileName;
    this.output = output;
    this.insecure = insecure;
  }

  /** The URL if plexctl may send requests (and a token) there; see broker-url.ts. */
  checkedUrl(url: string): string {
    return checkBrokerUrl(url, this.insecure);
  }

  get env(): NodeJS.ProcessEnv {
    return this.io.env;
  }

  now(): number {
    return this.io.now ? this.io.now() : Date.now();
  }

  sleep(ms: number): Promise<void> {
    return this.io.sleep ? this.io.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
  }

  loadConfig(): Config {
    this.config ??= loadConfig(this.env);
    return this.config;
  }

  profile(): Profile | undefined {
    return this.loadConfig().profiles[this.profileName];
  }

  /** PLEXSPHERE_URL, else the profile's, else the local stack's. */
  baseUrl(): string {
    return this.env.PLEXSPHERE_URL?.trim() || this.profile()?.url || DEFAULT_URL;
  }

  /** The command that signs this profile in again, with the ids it used last time. */
  loginHint(): string {
    const p = this.profile();
    const parts = ['plexctl login'];
    if (this.profileName !== 'default') parts.push(`--profile-name ${this.profileName}`);
    parts.push(`--domain-id ${p?.domain_id ?? '<domain id>'}`);
    if (p?.idp_binding_id) parts.push(`--idp-binding-id ${p.idp_binding_id}`);
    return parts.join(' ');
  }

  expired(): AuthError {
    return new AuthError(`your session for profile ${this.profileName} has expired; run ${this.loginHint()}`);
  }

  /** The broker as the profile's identity; says plainly when there is no usable session. */
  api(): ApiClient {
    const profile = this.profile();
    if (!profile?.token) throw new AuthError(`profile ${this.profileName} is not signed in; run ${this.loginHint()}`);
    const envUrl = this.env.PLEXSPHERE_URL?.trim();
    if (envUrl && sameUrl(envUrl, profile.url) === false) {
      // The token was issued by another broker: never send it elsewhere.
      throw new AuthError(
        `profile ${this.profileName} is signed in to ${profile.url}, but PLEXSPHERE_URL is ${envUrl}; run ${this.loginHint()} to sign in there`,
      );
    }
    if (profile.token_expires_at && this.now() >= Date.parse(profile.token_expires_at)) throw this.expired();
    return new ApiClient({
      baseUrl: this.checkedUrl(envUrl || profile.url),
      token: profile.token,
      fetch: this.io.fetch,
      onUnauthenticated: (err) =>
        err.code === 'token_expired'
          ? this.expired()
          : new AuthError(`your session for profile ${this.profileName} is no longer valid (${err.code}); run ${this.loginHint()}`),
    });
  }

  /** All of stdin as bytes; nothing when no stdin was given. */
  async readStdin(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.io.stdin ?? []) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return Buffer.concat(chunks);
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }
}

function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => u.trim().replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b);
}
