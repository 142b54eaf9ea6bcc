import * as z from 'zod';

// The env contract of the webhooks: the webhooks API group and the dispatch function read it beside
// ApiEnvSchema. infra/constructs/webhooks.ts sets these names (test/infra holds them to this schema).

const flag = z.enum(['true', 'false']).default('false');

export const WebhookEnvSchema = z.object({
  STAGE: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/),
  /** http:// to the loopback is allowed as a webhook URL (and its delivery): the embedded stack's receivers. Never on AWS. */
  WEBHOOK_ALLOW_HTTP_LOOPBACK: flag,
  /** The first retry's step; each next one doubles, up to WEBHOOK_RETRY_MAX_SECONDS. */
  WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().positive().default(5),
  WEBHOOK_RETRY_MAX_SECONDS: z.coerce.number().positive().default(3600),
  /** How long from the first attempt a delivery is retried before it is parked (a day). */
  WEBHOOK_RETRY_WINDOW_SECONDS: z.coerce.number().positive().default(86_400),
  /** One attempt's time limit, connection to answer. */
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().positive().max(60).default(10),
  /** The lane timers (EventBridge Scheduler): set for the webhooks group and the dispatch function. */
  WEBHOOK_SCHEDULE_GROUP: z.string().min(1).optional(),
  WEBHOOK_DISPATCH_FUNCTION_ARN: z.string().min(1).optional(),
  WEBHOOK_SCHEDULER_ROLE_ARN: z.string().min(1).optional(),
});
export type WebhookEnv = z.infer<typeof WebhookEnvSchema>;

export function webhookEnv(source: Record<string, string | undefined> = process.env): WebhookEnv {
  const parsed = WebhookEnvSchema.safeParse(source);
  if (!parsed.success) throw new Error(`Invalid function environment: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return parsed.data;
}
