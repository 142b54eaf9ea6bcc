// Which adapter serves which webhook port, for the webhooks API group and the dispatch function.
// Built on the container's Deps (its table, vault, authorizer and clock: a test's clock reaches the
// dispatcher the same way) and the webhook env. Kept apart from composition.ts so that only these
// two functions load the sender and the Scheduler client.
import { randomInt } from 'node:crypto';
import type { DispatchPorts } from '../core/webhooks/dispatch.ts';
import type { FanOutPorts } from '../core/webhooks/fan-out.ts';
import type { WebhookPorts } from '../core/webhooks/use-cases.ts';
import type { FanOutTimers, LaneTimers } from '../core/webhooks/webhook.ts';
import { DynamoFanOutCursors } from '../adapters/webhook-cursors.ts';
import { DynamoWebhookStore } from '../adapters/webhook-store.ts';
import { VaultWebhookSecrets } from '../adapters/webhook-secrets.ts';
import { HttpWebhookSender } from '../adapters/webhook-sender.ts';
import { SchedulerLaneTimers } from '../adapters/webhook-timers.ts';
import { eventOfRecord, type StreamRecord } from '../adapters/webhook-stream-records.ts';
import type { DomainEvent } from '../core/events/event.ts';
import type { Deps } from './composition.ts';
import { type WebhookEnv, webhookEnv } from './webhook-env.ts';

export interface WebhookDeps extends Omit<WebhookPorts, 'config'>, Omit<DispatchPorts, 'config' | 'secrets'>, FanOutPorts {
  config: WebhookPorts['config'] & DispatchPorts['config'];
  /** The event an inserted event item's stream record holds, if it is one. */
  eventOfRecord(record: StreamRecord): DomainEvent | undefined;
}

const built = new WeakMap<Deps, WebhookDeps>();

/** The webhook ports over `d` (one set per Deps, so a stack restarted with new Deps gets new ones). */
export function webhookDeps(d: Deps, given?: WebhookEnv): WebhookDeps {
  const known = built.get(d);
  if (known) return known;
  // Parsed on a miss only: a warm container reuses its ports without reading the environment again.
  const env = given ?? webhookEnv();
  const policy = { allowHttpLoopback: env.WEBHOOK_ALLOW_HTTP_LOOPBACK === 'true' };
  const webhooks = new DynamoWebhookStore(d.table);
  const secrets = new VaultWebhookSecrets(d.vault, env.STAGE, d.clock);
  const timers = scheduledTimers(env, d);
  const made: WebhookDeps = {
    config: {
      ...policy,
      retry: {
        baseSeconds: env.WEBHOOK_RETRY_BASE_SECONDS,
        maxSeconds: env.WEBHOOK_RETRY_MAX_SECONDS,
        windowSeconds: env.WEBHOOK_RETRY_WINDOW_SECONDS,
      },
      timeoutSeconds: env.WEBHOOK_TIMEOUT_SECONDS,
    },
    clock: d.clock,
    authorizer: d.authorizer,
    tenancy: d.tenancy,
    webhooks,
    secrets,
    timers: timers.lanes,
    events: d.events,
    cursors: new DynamoFanOutCursors(d.table),
    fanOutTimers: timers.domains,
    sender: new HttpWebhookSender({ policy, timeoutMs: env.WEBHOOK_TIMEOUT_SECONDS * 1000 }),
    random: () => randomInt(0, 1_000_000) / 1_000_000,
    eventOfRecord,
  };
  built.set(d, made);
  return made;
}

/** Without the Scheduler wiring a function refuses to arm, so a missing setting shows as an error, not a delivery never retried. */
function scheduledTimers(env: WebhookEnv, d: Deps): { lanes: LaneTimers; domains: FanOutTimers } {
  const { WEBHOOK_SCHEDULE_GROUP: groupName, WEBHOOK_DISPATCH_FUNCTION_ARN: targetArn, WEBHOOK_SCHEDULER_ROLE_ARN: roleArn } = env;
  if (groupName && targetArn && roleArn) {
    const lanes = new SchedulerLaneTimers({ groupName, targetArn, roleArn }, undefined, d.clock);
    return { lanes, domains: lanes.domains };
  }
  const refuse = {
    arm: async () => {
      throw new Error(
        'This function has no webhook timers configured (WEBHOOK_SCHEDULE_GROUP, WEBHOOK_DISPATCH_FUNCTION_ARN, WEBHOOK_SCHEDULER_ROLE_ARN).',
      );
    },
  };
  return { lanes: refuse, domains: refuse };
}
