import { z } from 'zod';
import { BrokerError } from '../core/errors.ts';
import { RESOURCE_FAILED_LOG_MESSAGE } from '../steps/step-groups.ts';
import { log } from './log.ts';

/**
 * Builds a step group's Lambda handler: validates the Task's input, runs the named step, and lets
 * errors propagate with their literal `name` (which the ASL Retry/Catch match).
 */
export function createStepHandler<Steps extends Record<string, (input: never) => Promise<unknown>>>(group: string, steps: Steps) {
  const EventSchema = z.looseObject({ resource_id: z.string().optional() });
  const InputSchema = z.looseObject({ step: z.enum(Object.keys(steps) as [string, ...string[]]) });
  return async (event: unknown): Promise<unknown> => {
    const { step } = InputSchema.parse(event);
    const started = Date.now();
    try {
      const result = await (steps[step] as (input: unknown) => Promise<unknown>)(event);
      log('debug', 'step done', { group, step, ms: Date.now() - started });
      if (step === 'mark-failed' && (result as { status?: string } | undefined)?.status === 'done') {
        log('info', RESOURCE_FAILED_LOG_MESSAGE, { group, resource_id: EventSchema.parse(event).resource_id });
      }
      return result;
    } catch (err) {
      // Step Functions keeps only an error's name and message (the Cause); the message carries
      // the stable code too, so the Resource's last_error can say it (core errorInfo reads it back).
      if (err instanceof BrokerError && !err.message.startsWith(`${err.code}: `)) err.message = `${err.code}: ${err.message}`;
      log('warn', 'step failed', { group, step, error: (err as Error).name, message: (err as Error).message });
      throw err;
    }
  };
}
