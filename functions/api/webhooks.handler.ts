import { parseId } from '../core/ids.ts';
import * as webhooks from '../core/webhooks/use-cases.ts';
import { deliveryView, webhookView } from '../core/webhooks/webhook.ts';
import { type AuthedRequest, createApiHandler } from '../shared/api-handler.ts';
import type { Deps } from '../shared/composition.ts';
import { created, noContent, ok } from '../shared/http.ts';
import { listResponse } from '../shared/lists.ts';
import { webhookDeps } from '../shared/webhook-composition.ts';
import { bodyOf } from './spec.ts';
import { webhooksSpec as spec } from './webhooks.spec.ts';

const webhookId = (req: AuthedRequest) => parseId(req.pathParams.id, 'webhook');

export const handler = createApiHandler('webhooks', spec, {
  createWebhook: async (req: AuthedRequest, d: Deps) => {
    const body = bodyOf(spec.createWebhook, req);
    const { webhook, secret } = await webhooks.createWebhook(webhookDeps(d), req.subject, parseId(req.pathParams.id, 'domain'), body);
    return created({ ...webhookView(webhook), secret }, `/v1/webhooks/${webhook.id}`);
  },

  listWebhooks: (req: AuthedRequest, d: Deps) => {
    const domainId = parseId(req.pathParams.id, 'domain');
    return listResponse(req, d, (page) => webhooks.listWebhooks(webhookDeps(d), req.subject, domainId, page), webhookView);
  },

  getWebhook: async (req: AuthedRequest, d: Deps) =>
    ok(webhookView(await webhooks.authorizedWebhook(webhookDeps(d), req.subject, 'read', webhookId(req)))),

  deleteWebhook: async (req: AuthedRequest, d: Deps) => {
    await webhooks.deleteWebhook(webhookDeps(d), req.subject, webhookId(req));
    return noContent();
  },

  listDeliveries: (req: AuthedRequest, d: Deps) => {
    const id = webhookId(req);
    return listResponse(req, d, (page) => webhooks.listDeliveries(webhookDeps(d), req.subject, id, page), deliveryView);
  },

  redeliver: async (req: AuthedRequest, d: Deps) => {
    const delivery = await webhooks.redeliver(webhookDeps(d), req.subject, webhookId(req), parseId(req.pathParams.delivery_id, 'delivery'));
    return ok(deliveryView(delivery), 202);
  },
});
