// What a tenant may read when a run fails: one of our codes, in our words. A failure's own text
// (a cloud's message, an SDK error, a secret's ARN, a Step Functions Cause) can name accounts,
// principals and policies of the cloud account behind the credential, so it goes to the log with
// the run's correlation id and never onto the Resource.

/** The codes a failed step can leave in `provisioning.last_error`, each with its fixed message. */
export const STEP_FAILURES = {
  enrolment_timeout: 'The node did not register and heartbeat before the deadline.',
  substrate_auth_failed: "The cloud did not accept the credential's keys.",
  substrate_not_permitted: "The credential's keys may not do what provisioning needs in this cloud account.",
  substrate_capacity: 'The cloud has no capacity for this machine right now, and retrying did not help.',
  substrate_quota_exceeded: "The cloud account's limits do not allow another machine.",
  substrate_rejected_parameters: 'The cloud refused the machine as specified (its image, machine type or another setting).',
  substrate_unavailable: 'The cloud did not answer cleanly, and retrying did not help.',
  substrate_unknown: 'The Resource names no cloud credential.',
  cloud_not_found: "The Resource's cloud no longer exists.",
  provider_not_supported: "This broker provisions nothing on the Resource's cloud provider.",
  cloud_provider_unsupported: "The Resource's cloud is not of the provider its credential is for.",
  credential_unavailable: "The cloud credential's stored material could not be read.",
  credential_unreadable: "The cloud credential's stored material is not in the form the broker stores.",
  plexd_unpinned: 'The blueprint version downloads plexd without a sha256 to check it against, so the broker installs nothing.',
  plexd_url_invalid: "The blueprint version's plexd download URL is not a URL.",
  insecure_endpoint: "The cloud's endpoint or the plexd download is not https, and the broker sends nothing over plain http.",
  internal_error: 'The broker failed while running this step; its log holds the details.',
} as const;

export type StepFailureCode = keyof typeof STEP_FAILURES;

/** Codes of errors thrown inside a step that mean one of ours (a store's, the vault's). */
const ALIASES: Record<string, StepFailureCode> = {
  secret_not_found: 'credential_unavailable',
};

/** Our code and message for a code read off a failure; anything we do not know is internal_error. */
export function stepFailure(code: string | undefined): { code: StepFailureCode; message: string } {
  const known = code && (Object.hasOwn(STEP_FAILURES, code) ? (code as StepFailureCode) : ALIASES[code]);
  const ours = known || 'internal_error';
  return { code: ours, message: STEP_FAILURES[ours] };
}

/**
 * The correlation id of a run: its Step Functions execution name. Operators find the run's log
 * lines and its execution under the same string.
 */
export const runCorrelationId = (resourceId: string, generation: number): string => `${resourceId}-${generation}`;

// What the cloud said, kept beside the error it became, for the log only. A WeakMap rather than a
// property: nothing that serialises the error (the Lambda runtime, JSON.stringify) can see it.
const details = new WeakMap<Error, Record<string, unknown>>();

/** Attaches what the log should keep about an error's origin (never copied to the error's message). */
export function withDetail<E extends Error>(error: E, detail: Record<string, unknown>): E {
  details.set(error, detail);
  return error;
}

/** What withDetail attached, for the step handler's log line. */
export function detailOf(error: unknown): Record<string, unknown> | undefined {
  return error instanceof Error ? details.get(error) : undefined;
}
