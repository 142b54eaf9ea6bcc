import * as z from 'zod';

// The env contract of the API functions. infra types each Lambda's `environment` from it, so a
// missing variable fails the typecheck rather than an invocation.
export const ApiEnvSchema = z.object({
  STAGE: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/),
  TABLE_NAME: z.string().min(1),
  /** Public base URL of the API, used to build the sign-in page's verification_uri. */
  PUBLIC_URL: z.url(),
  /** The list cursors' HMAC key (Secrets Manager), created on first use. */
  CURSOR_KEY_SECRET_ID: z.string().min(1),
  /** The KMS key (id, ARN or alias) that signs access tokens; set for the API groups that use tokens (infra/constructs/signing-key.ts). */
  ACCESS_TOKEN_KEY_ID: z.string().min(1).optional(),
  /** A second live KMS key during a rotation: verified and published in the JWKS, never used to sign. */
  ACCESS_TOKEN_STANDBY_KEY_ID: z.string().min(1).optional(),
  CREDENTIAL_SECRET_PREFIX: z.string().min(1),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
  DEVICE_CODE_TTL_SECONDS: z.coerce.number().int().positive().default(600),
  DEVICE_POLL_INTERVAL_SECONDS: z.coerce.number().int().positive().default(5),
  /** How long a credential-assignment request waits for a decision (default 7 days). */
  ASSIGNMENT_REQUEST_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(7 * 24 * 3600),
  /** The lease of a Resource whose assignment's terms set none (default 7 days). */
  DEFAULT_LEASE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(7 * 24 * 3600),
  /** The phase arcs' state machines; required by the resources group (checked where used). */
  PROVISION_STATE_MACHINE_ARN: z.string().optional(),
  TEARDOWN_STATE_MACHINE_ARN: z.string().optional(),
  /** The lease timers (EventBridge Scheduler): set for the functions that arm one (resources, lease expiry). */
  LEASE_SCHEDULE_GROUP: z.string().min(1).optional(),
  LEASE_EXPIRY_FUNCTION_ARN: z.string().min(1).optional(),
  LEASE_SCHEDULER_ROLE_ARN: z.string().min(1).optional(),
  /** http:// cloud endpoints are accepted: the embedded stack's local clouds listen over plain http. Never on AWS. */
  CLOUD_ENDPOINT_ALLOW_HTTP: z.enum(['true', 'false']).default('false'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});
export type ApiEnv = z.infer<typeof ApiEnvSchema>;
/** What a deployment must set (the schema's defaulted keys are optional). */
export type ApiEnvInput = z.input<typeof ApiEnvSchema>;

let cached: ApiEnv | undefined;

export function apiEnv(source: Record<string, string | undefined> = process.env): ApiEnv {
  if (!cached || source !== process.env) {
    const parsed = ApiEnvSchema.safeParse(source);
    if (!parsed.success) {
      const missing = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
      throw new Error(`Invalid function environment: ${missing}`);
    }
    if (source !== process.env) return parsed.data;
    cached = parsed.data;
  }
  return cached;
}

/** Tests and the local stack change process.env between runs; they call this to re-read it. */
export function resetEnvCache(): void {
  cached = undefined;
}

// The env contract of the step functions (both groups).
export const StepsEnvSchema = z.object({
  STAGE: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/),
  TABLE_NAME: z.string().min(1),
  /** Where nodes redeem their bootstrap token (PLEXD_API in the user data). */
  PUBLIC_URL: z.url(),
  BOOTSTRAP_TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(900),
  SUBSTRATE_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(600),
  DRAIN_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(300),
  TERMINATE_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(600),
  HEARTBEAT_INTERVAL_SECONDS: z.coerce.number().int().positive().default(30),
  /** How long a teardown that finds no machine waits for a launch that may still be in flight. */
  LAUNCH_GRACE_SECONDS: z.coerce.number().int().positive().default(180),
  /** As the API's: the substrate steps check a cloud's endpoint again before sending it the keys. Never on AWS. */
  CLOUD_ENDPOINT_ALLOW_HTTP: z.enum(['true', 'false']).default('false'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});
export type StepsEnv = z.infer<typeof StepsEnvSchema>;
export type StepsEnvInput = z.input<typeof StepsEnvSchema>;

export function stepsEnv(source: Record<string, string | undefined> = process.env): StepsEnv {
  const parsed = StepsEnvSchema.safeParse(source);
  if (!parsed.success) throw new Error(`Invalid function environment: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return parsed.data;
}
