import { StepInputSchema } from '../core/phase-steps/config.ts';
import { applySubstrate, checkSubstrate } from '../core/phase-steps/provision.ts';
import { terminateSubstrate } from '../core/phase-steps/teardown.ts';
import { createStepHandler } from '../shared/step-handler.ts';
import { stepDeps } from '../shared/step-composition.ts';
import { substrate } from '../shared/substrate-composition.ts';

const ports = () => ({ ...stepDeps(), substrate: substrate() });

export const handler = createStepHandler('substrate-steps', {
  'apply-substrate': (input: unknown) => applySubstrate(ports(), StepInputSchema.parse(input)),
  'check-substrate': (input: unknown) => checkSubstrate(ports(), StepInputSchema.parse(input)),
  'terminate-substrate': (input: unknown) => terminateSubstrate(ports(), StepInputSchema.parse(input)),
});
