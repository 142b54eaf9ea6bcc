import * as z from 'zod';
import { BrokerError } from '../core/errors.ts';
import { detailOf, runCorrelationId } from '../core/phase-steps/failure-codes.ts';
import { RESOURCE_FAILED_LOG_MESSAGE } from '../steps/step-groups.ts';
import { log } from './log.ts';

/**
 * Builds a step group's Lambda handler: validates the Task's input, runs the named step, and lets
 * errors propagate with their literal `name` (which the ASL Retry/Catch match).
 */
export function createStepHandler<Steps extends Record<string, (input: never) => Promise<unknown>>>(group: string, steps: Steps) {
  const EventSchema = z.looseObject({ resource_id: z.string().optional(), generation: z.number().optional() });
  const InputSchema = z.looseObject({ step: z.enum(Object.keys(steps) as [string, ...string[]]) });
  return async (event: unknown): Promise<unknown> => {
    const { step } = InputSchema.parse(event);
    const run = EventSchema.safeParse(event).data;
    // The run's execution name: what the Resource's reason names when this step fails it.
    const correlationId = run?.resource_id && run.generation ? runCorrelationId(run.resource_id, run.generation) : undefined;
    const started = Date.now();
    try {
      const result = await (steps[step] as (input: unknown) => Promise<unknown>)(event);
      log('debug', 'step done', { correlationId, group, step, ms: Date.now() - started });
      if (step === 'mark-failed' && (result as { status?: string } | undefined)?.status === 'done') {
        log('info', RESOURCE_FAILED_LOG_MESSAGE, { correlationId, group, resource_id: run?.resource_id });
      }
      return result;
    } catch (err) {
      // Step Functions keeps only an error's name and message (the Cause); the message carries
      // the stable code too, so the Resource's last_error can say it (core errorInfo reads it back).
      if (err instanceof BrokerError && !err.message.startsWith(`${err.code}: `)) err.message = `${err.code}: ${err.message}`;
      // What the cloud said stays here, with the correlation id; the Resource gets our code only.
      log('warn', 'step failed', {
        correlationId,
        group,
        step,
        error: (err as Error).name,
        error_message: (err as Error).message,
        ...detailOf(err),
      });
      throw err;
    }
  };
}
