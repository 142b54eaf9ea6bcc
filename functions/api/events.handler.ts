import { createApiHandler } from '../shared/api-handler.ts';
import { eventsSpec as spec } from './events.spec.ts';

export const handler = createApiHandler('events', spec, {});
