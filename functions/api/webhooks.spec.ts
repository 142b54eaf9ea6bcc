import type { GroupSpec } from './spec.ts';

export const webhooksSpec = {} satisfies GroupSpec;
