import { expect } from 'vitest';
import type { Case, Who } from './route-cases.ts';
import type { ApiResponse } from './stack.ts';
import { waitFor } from './wait.ts';
import { startReceiver } from './webhook-receiver.ts';

// The route cases of the webhooks (registrations, deliveries, redelivery), merged into the journey's
// table by route-cases.ts. The published contract has no webhooks: these are checked against our
// own document (openapi-responses.test.ts) and for the authorization their spec names.

export interface WebhookHelpers {
  call: (who: Who, method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiResponse>;
  created: (res: Promise<ApiResponse>) => Promise<string>;
  /** A fresh credential's assignment to the journey project, requested: one `assignment.requested` event. */
  requested: () => Promise<string>;
  domainId: string;
  unknownId: string;
}

/**
 * A webhook (of `domainId`, registered by its admin) whose receiver on the loopback took one
 * delivery of the `assignment.requested` event `makeEvent` causes; answers both ids.
 */
export async function deliveredWebhook(call: WebhookHelpers['call'], domainId: string, makeEvent: () => Promise<unknown>) {
  const receiver = await startReceiver(() => 204);
  try {
    const res = await call('admin', 'POST', `/v1/domains/${domainId}/webhooks`, { url: receiver.url, event_types: ['assignment.requested'] });
    expect(res.status, res.text).toBe(201);
    const id = res.body.id as string;
    await makeEvent();
    const delivery = await waitFor(
      async () => {
        const list = await call('admin', 'GET', `/v1/webhooks/${id}/deliveries`);
        return list.body?.items?.find((d: { status: string }) => d.status === 'delivered');
      },
      { what: 'a delivered delivery' },
    );
    return { id, deliveryId: delivery.id as string };
  } finally {
    await receiver.close();
  }
}

export function webhookCases(h: WebhookHelpers): Record<string, Case[]> {
  const { call, created, requested, domainId, unknownId } = h;
  const ok = (name: string, status: number, run: () => Promise<ApiResponse>): Case => ({ name, status, run });
  const err = ok;
  const body = (url = 'https://hooks.example.com/plexsphere') => ({ url, event_types: ['assignment.requested'] });
  const newWebhook = () => created(call('admin', 'POST', `/v1/domains/${domainId}/webhooks`, body()));
  const delivered = () => deliveredWebhook(call, domainId, requested);

  return {
    'POST /v1/domains/{id}/webhooks': [
      ok('a new webhook', 201, () => call('admin', 'POST', `/v1/domains/${domainId}/webhooks`, body())),
      err('an unknown event type', 400, () => call('admin', 'POST', `/v1/domains/${domainId}/webhooks`, { ...body(), event_types: ['resource.exploded'] })),
      err('no event types', 400, () => call('admin', 'POST', `/v1/domains/${domainId}/webhooks`, { ...body(), event_types: [] })),
      err('a private address', 422, () => call('admin', 'POST', `/v1/domains/${domainId}/webhooks`, body('https://169.254.169.254/latest'))),
      err('as the domain auditor', 403, () => call('operator', 'POST', `/v1/domains/${domainId}/webhooks`, body())),
      err('an unknown domain', 404, () => call('admin', 'POST', `/v1/domains/${unknownId}/webhooks`, body())),
    ],
    'GET /v1/domains/{id}/webhooks': [
      ok('as the domain auditor', 200, async () => {
        await newWebhook();
        return call('operator', 'GET', `/v1/domains/${domainId}/webhooks`);
      }),
      err('limit out of range', 400, () => call('admin', 'GET', `/v1/domains/${domainId}/webhooks?limit=0`)),
    ],
    'GET /v1/webhooks/{id}': [
      ok('a webhook', 200, async () => call('admin', 'GET', `/v1/webhooks/${await newWebhook()}`)),
      err('an unknown webhook', 404, () => call('admin', 'GET', `/v1/webhooks/${unknownId}`)),
    ],
    'DELETE /v1/webhooks/{id}': [
      ok('a webhook', 204, async () => call('admin', 'DELETE', `/v1/webhooks/${await newWebhook()}`)),
      err('as the domain auditor', 403, async () => call('operator', 'DELETE', `/v1/webhooks/${await newWebhook()}`)),
      err('an unknown webhook', 404, () => call('admin', 'DELETE', `/v1/webhooks/${unknownId}`)),
    ],
    'GET /v1/webhooks/{id}/deliveries': [
      ok('with a delivery and its attempt', 200, async () => {
        const { id } = await delivered();
        const res = await call('operator', 'GET', `/v1/webhooks/${id}/deliveries`);
        expect(res.body.items[0].attempts[0]).toMatchObject({ status_code: 204 });
        return res;
      }),
      err('a malformed webhook id', 400, () => call('admin', 'GET', '/v1/webhooks/nope/deliveries')),
    ],
    'POST /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver': [
      ok('a delivered one', 202, async () => {
        const { id, deliveryId } = await delivered();
        return call('admin', 'POST', `/v1/webhooks/${id}/deliveries/${deliveryId}/redeliver`);
      }),
      err('an unknown delivery', 404, async () => call('admin', 'POST', `/v1/webhooks/${await newWebhook()}/deliveries/${unknownId}/redeliver`)),
      err('as the domain auditor', 403, async () => call('operator', 'POST', `/v1/webhooks/${await newWebhook()}/deliveries/${unknownId}/redeliver`)),
    ],
  };
}
