// The local node agent: what plexd does on a machine, reduced to the node side of the contract
// and spoken over HTTP only (so a real plexd could take its place). It reads the cloud-init user
// data, registers with the bootstrap token, keeps its identity under stateDir, then heartbeats and
// pulls its state. Many agents share one process: an agent is timers and fetch, nothing more.
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { parseBootstrapToken } from '../functions/core/bootstrap-tokens.ts';
import { formatNskBearer } from '../functions/core/enrolment/node-auth.ts';
import { type NodeBootstrap, parseCloudInit } from '../functions/core/user-data.ts';
import { jsonOrUndefined } from '../functions/core/json-or-undefined.ts';

export type AgentPhase = 'registering' | 'running' | 'refused' | 'stopped';

export interface AgentStatus {
  phase: AgentPhase;
  nodeId?: string;
  meshIp?: string;
  /** The last failure, as the broker's problem code where there was one. */
  lastError?: string;
}

export interface AgentOptions {
  userData: string;
  stateDir: string;
  heartbeatIntervalMs: number;
  log?: (msg: string) => void;
}

export interface RunningAgent {
  stop(): Promise<void>;
  status(): AgentStatus;
}

export const AGENT_VERSION = 'plexsphere-local-agent/0.1.0';
const IDENTITY_FILE = 'identity.json';
const REQUEST_TIMEOUT_MS = 15_000;
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 5_000;

const IdentitySchema = z.object({
  api_url: z.string(),
  project_id: z.string(),
  resource_handle: z.string(),
  env: z.string(),
  node_id: z.string(),
  nsk: z.string(),
  mesh_ip: z.string(),
  domain_mesh_cidr: z.string(),
  signing_public_key: z.string(),
  signing_key_id: z.string(),
  /** X25519, base64 raw public key and PKCS#8 DER private key. */
  public_key: z.string(),
  private_key: z.string(),
  registered_at: z.string(),
});
type Identity = z.infer<typeof IdentitySchema>;

const RegisteredSchema = z.object({
  node_id: z.string(),
  mesh_ip: z.string(),
  signing_public_key: z.string(),
  signing_key_id: z.string(),
  nsk: z.string(),
  domain_mesh_cidr: z.string(),
});

/** The checksum a heartbeat reports: of the agent's own "binary", its version string. */
const BINARY_DIGEST = createHash('sha256').update(AGENT_VERSION).digest();

function wireguardKeyPair(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const x = publicKey.export({ format: 'jwk' }).x;
  if (!x) throw new Error('X25519 public key export lacks x');
  return {
    publicKey: Buffer.from(x, 'base64url').toString('base64'),
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
  };
}

/** A failed call: `permanent` ones (the broker refused us) end the agent, the others are retried. */
class CallError extends Error {
  constructor(
    readonly code: string,
    readonly permanent: boolean,
  ) {
    super(code);
  }
}

/** Transient: the broker is unreachable, overloaded or failing (connection refused, 429, 5xx). */
function isTransient(status: number): boolean {
  return status === 429 || status >= 500;
}

class Agent implements RunningAgent {
  private phase: AgentPhase = 'registering';
  private nodeId: string | undefined;
  private meshIp: string | undefined;
  private lastError: string | undefined;
  /** The ETag of the last state pull answered 200, sent back as If-None-Match. */
  private stateTag: string | undefined;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** Aborts node calls on stop; a register call is left to finish, so a redeemed token is never lost. */
  private readonly aborter = new AbortController();
  private readonly boot: NodeBootstrap;
  private readonly done: Promise<void>;

  constructor(private readonly opts: AgentOptions) {
    this.boot = parseCloudInit(opts.userData);
    this.done = this.run().catch((err: unknown) => {
      // Only a bug gets here (every call failure is handled): stop rather than spin.
      this.lastError = String((err as Error)?.message ?? err);
      this.phase = 'refused';
      this.log(`agent failed: ${this.lastError}`);
    });
  }

  status(): AgentStatus {
    return {
      phase: this.phase,
      ...(this.nodeId && { nodeId: this.nodeId }),
      ...(this.meshIp && { meshIp: this.meshIp }),
      ...(this.lastError && { lastError: this.lastError }),
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.wake?.();
    this.aborter.abort();
    await this.done;
    if (this.phase !== 'refused') this.phase = 'stopped';
  }

  private log(msg: string): void {
    this.opts.log?.(`[agent ${this.nodeId ?? this.boot.resourceHandle}] ${msg}`);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopping) return resolve();
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private refuse(code: string): void {
    this.phase = 'refused';
    this.lastError = code;
    this.log(`refused by the broker: ${code}`);
  }

  private async run(): Promise<void> {
    const identity = this.loadIdentity() ?? (await this.register());
    if (!identity || this.stopping) return;
    this.nodeId = identity.node_id;
    this.meshIp = identity.mesh_ip;
    this.phase = 'running';
    await this.guard(() => this.reportCapabilities(identity));
    while (this.isRunning()) {
      const beat = await this.guard(() => this.heartbeat(identity));
      if (beat && this.isRunning()) await this.guard(() => this.pullState(identity));
      if (this.isRunning()) await this.sleep(this.opts.heartbeatIntervalMs);
    }
  }

  private isRunning(): boolean {
    return !this.stopping && this.phase === 'running';
  }

  /** Runs one call; a permanent refusal ends the agent, anything else is noted and retried later. */
  private async guard(call: () => Promise<void>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (err) {
      if (this.stopping) return false;
      if (err instanceof CallError && err.permanent) this.refuse(err.code);
      else this.lastError = err instanceof CallError ? err.code : describe(err);
      return false;
    }
  }

  // ---- identity --------------------------------------------------------------------------

  private get identityPath(): string {
    return join(this.opts.stateDir, IDENTITY_FILE);
  }

  private loadIdentity(): Identity | undefined {
    let text: string;
    try {
      text = readFileSync(this.identityPath, 'utf8');
    } catch {
      return undefined;
    }
    const parsed = IdentitySchema.safeParse(jsonOrUndefined(text));
    if (!parsed.success || parsed.data.project_id !== this.boot.projectId || parsed.data.resource_handle !== this.boot.resourceHandle) {
      this.log('ignoring an identity file that is not this machine\'s');
      return undefined;
    }
    this.log(`keeping node identity ${parsed.data.node_id}`);
    return parsed.data;
  }

  private saveIdentity(identity: Identity): void {
    // It holds the NSK: owner-only, written whole (temp file, then rename).
    mkdirSync(this.opts.stateDir, { recursive: true, mode: 0o700 });
    const temp = `${this.identityPath}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(identity, null, 2), { mode: 0o600 });
    renameSync(temp, this.identityPath);
  }

  // ---- calls -----------------------------------------------------------------------------

  private async call(
    method: string,
    path: string,
    opts: { body?: unknown; bearer?: string; abortable: boolean; ifNoneMatch?: string },
  ): Promise<{ status: number; body: unknown; etag?: string }> {
    const signal = opts.abortable ? AbortSignal.any([this.aborter.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const res = await fetch(`${this.boot.apiUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        'user-agent': AGENT_VERSION,
        ...(opts.body !== undefined && { 'content-type': 'application/json' }),
        ...(opts.bearer && { authorization: `Bearer ${opts.bearer}` }),
        ...(opts.ifNoneMatch && { 'if-none-match': opts.ifNoneMatch }),
      },
      ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
      signal,
    });
    const etag = res.headers.get('etag') ?? undefined;
    return { status: res.status, body: jsonOrUndefined(await res.text()), ...(etag && { etag }) };
  }

  /**
   * Fails a call that did not answer `expected`. A refused credential (401, 403) is the broker's
   * final word; for a registration, so is any other client error (a token refused, a bad handle).
   */
  private check(res: { status: number; body: unknown }, expected: number, registering = false): void {
    if (res.status === expected) return;
    const code = (res.body as { code?: unknown } | undefined)?.code;
    const name = typeof code === 'string' ? code : `http_${res.status}`;
    const permanent = res.status === 401 || res.status === 403 || (registering && !isTransient(res.status));
    throw new CallError(name, permanent);
  }

  private bearer(identity: Identity): string {
    return formatNskBearer(identity.env, identity.node_id, identity.nsk);
  }

  /** Redeems the bootstrap token, retrying while the broker is unreachable or failing. */
  private async register(): Promise<Identity | undefined> {
    const keys = wireguardKeyPair();
    // One nonce for all attempts: a retry of the same registration is not a nonce collision.
    const nonce = randomUUID();
    const env = parseBootstrapToken(this.boot.bootstrapToken)?.env ?? 'local';
    let delay = FIRST_RETRY_MS;
    while (!this.stopping) {
      try {
        const res = await this.call(
          'POST',
          '/v1/register',
          {
            body: {
              project_id: this.boot.projectId,
              resource_handle: this.boot.resourceHandle,
              bootstrap_token: this.boot.bootstrapToken,
              nonce,
              public_key: keys.publicKey,
            },
            abortable: false,
          },
        );
        this.check(res, 201, true);
        const registered = RegisteredSchema.parse(res.body);
        const identity: Identity = {
          api_url: this.boot.apiUrl,
          project_id: this.boot.projectId,
          resource_handle: this.boot.resourceHandle,
          env,
          ...registered,
          public_key: keys.publicKey,
          private_key: keys.privateKey,
          registered_at: new Date().toISOString(),
        };
        this.saveIdentity(identity);
        this.log(`registered as node ${identity.node_id} at ${identity.mesh_ip}`);
        return identity;
      } catch (err) {
        if (err instanceof CallError && err.permanent) {
          this.refuse(err.code);
          return undefined;
        }
        this.lastError = err instanceof CallError ? err.code : describe(err);
        this.log(`register failed (${this.lastError}); retrying in ${delay} ms`);
      }
      await this.sleep(delay * (0.8 + Math.random() * 0.4));
      delay = Math.min(delay * 2, Math.max(MAX_RETRY_MS, this.opts.heartbeatIntervalMs));
    }
    return undefined;
  }

  private async heartbeat(identity: Identity): Promise<void> {
    const res = await this.call('POST', `/v1/nodes/${identity.node_id}/heartbeat`, {
      bearer: this.bearer(identity),
      body: { client_now: new Date().toISOString(), binary_checksum: BINARY_DIGEST.toString('hex'), binary_version: AGENT_VERSION, nat_summary: {} },
      abortable: true,
    });
    this.check(res, 200);
  }

  private async pullState(identity: Identity): Promise<void> {
    // As plexd would: send back the last validator, so an unchanged state costs no body.
    const res = await this.call('GET', `/v1/nodes/${identity.node_id}/state`, {
      bearer: this.bearer(identity),
      abortable: true,
      ...(this.stateTag && { ifNoneMatch: this.stateTag }),
    });
    if (res.status === 304) return;
    this.check(res, 200);
    this.stateTag = res.etag;
  }

  private async reportCapabilities(identity: Identity): Promise<void> {
    const res = await this.call('PUT', `/v1/nodes/${identity.node_id}/capabilities`, {
      bearer: this.bearer(identity),
      body: { binary_version: AGENT_VERSION, binary_checksum: BINARY_DIGEST.toString('base64') },
      abortable: true,
    });
    this.check(res, 200);
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string } })?.cause?.code;
  return cause ?? String((err as Error)?.message ?? err);
}

/**
 * Starts an agent from a machine's user data. It keeps its identity (node id, NSK, keys) in
 * `stateDir`: started again with the same folder it resumes as the same node without registering.
 * It stops for good when the broker refuses it (a token or NSK refused) and on stop().
 */
export function startAgent(opts: AgentOptions): RunningAgent {
  return new Agent(opts);
}
