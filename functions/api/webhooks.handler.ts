import { createApiHandler } from '../shared/api-handler.ts';
import { webhooksSpec as spec } from './webhooks.spec.ts';

export const handler = createApiHandler('webhooks', spec, {});
