import { jsonOrUndefined } from '../json-or-undefined.ts';
import { type ErrorInfo, TEARDOWN_PHASES } from '../resources.ts';
import type { StepInput, StepOutcome, StepPorts } from './config.ts';
import { runCorrelationId, stepFailure } from './failure-codes.ts';
import { current, done, superseded } from './run.ts';

// Failing a run, from either arc, with the error its Catch handed over.

/** The Step Functions errors that are not a step's own: what each one means for the Resource. */
const STATES_ERRORS: Record<string, string> = {
  'States.Timeout': 'enrolment_timeout',
  'States.HeartbeatTimeout': 'enrolment_timeout',
};

/**
 * Reads the code of the error a Catch handed over and answers our words for it. Only the code is
 * taken from the Cause (a step handler's message starts with its stable code, see
 * functions/shared/step-handler.ts; Lambda wraps it in JSON, the emulator does not); the rest of
 * the Cause is the failure's own text and never reaches the Resource.
 */
export function errorInfo(error: { Error?: string; Cause?: string } | undefined): ErrorInfo {
  const name = error?.Error ?? '';
  if (STATES_ERRORS[name]) return stepFailure(STATES_ERRORS[name]);
  const cause = error?.Cause ?? '';
  const wrapped = (jsonOrUndefined(cause) as { errorMessage?: unknown } | null | undefined)?.errorMessage;
  const message = typeof wrapped === 'string' ? wrapped : cause;
  return stepFailure(/^([a-z][a-z0-9_]*): /.exec(message)?.[1]);
}

/** Any phase of the current run → Failed, saying why. */
export async function markFailed(
  ports: Pick<StepPorts, 'resources' | 'clock'>,
  input: StepInput & { error?: ErrorInfo | undefined; cause?: { Error?: string; Cause?: string } | undefined },
): Promise<StepOutcome> {
  const r = await current(ports, input, ['Pending', 'Provisioning', 'Enrolling', 'Ready', 'Deregistering', 'Deprovisioning']);
  if (!r?.provisioning) return superseded;
  const error = input.error ?? errorInfo(input.cause);
  const during = TEARDOWN_PHASES.includes(r.provisioning.phase) ? 'Teardown' : 'Provisioning';
  // A failure a Catch handed over names the run, so an operator finds its log lines and execution.
  const trace = input.error ? '' : ` Correlation id: ${runCorrelationId(r.id, input.generation)}.`;
  const moved = await ports.resources.changePhase(r.id, {
    from: [r.provisioning.phase],
    to: 'Failed',
    generation: input.generation,
    at: ports.clock.now().toISOString(),
    reason: `${during} failed in ${r.provisioning.phase}: ${error.message}${trace}`,
    error,
  });
  return moved ? done : superseded;
}
