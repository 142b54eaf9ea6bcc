import * as z from 'zod';
import { StepInputSchema } from '../core/phase-steps/config.ts';
import { markFailed } from '../core/phase-steps/failure.ts';
import { awaitEnrolment, markReady } from '../core/phase-steps/provision.ts';
import { drainNode } from '../core/phase-steps/teardown.ts';
import { ErrorInfoSchema } from '../core/resources.ts';
import { createStepHandler } from '../shared/step-handler.ts';
import { stepDeps } from '../shared/step-composition.ts';

const AwaitInputSchema = StepInputSchema.extend({ task_token: z.string().min(1) });
const FailedInputSchema = StepInputSchema.extend({
  error: ErrorInfoSchema.optional(),
  cause: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

export const handler = createStepHandler('provision-steps', {
  'await-enrolment': (input: unknown) => awaitEnrolment(stepDeps(), AwaitInputSchema.parse(input)),
  'mark-ready': (input: unknown) => markReady(stepDeps(), StepInputSchema.parse(input)),
  'mark-failed': (input: unknown) => markFailed(stepDeps(), FailedInputSchema.parse(input)),
  'drain-node': (input: unknown) => drainNode(stepDeps(), StepInputSchema.parse(input)),
});
