import type { GroupSpec } from './spec.ts';

export const eventsSpec = {} satisfies GroupSpec;
