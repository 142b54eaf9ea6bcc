import { type ErrorInfo, TEARDOWN_PHASES } from '../resources.ts';
import type { StepInput, StepOutcome, StepPorts } from './config.ts';
import { current, done, superseded } from './run.ts';

// Failing a run, from either arc, with the error its Catch handed over.

/** Reads the error a Catch handed over: Lambda's JSON cause, or the emulator's plain message. */
export function errorInfo(error: { Error?: string; Cause?: string } | undefined): ErrorInfo {
  const code = error?.Error ?? 'unknown_error';
  let message = error?.Cause ?? 'The step failed without saying why.';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (parsed.errorMessage) message = parsed.errorMessage;
  } catch {
    // a plain message
  }
  const known: Record<string, string> = {
    'States.Timeout': 'enrolment_timeout',
    'States.HeartbeatTimeout': 'enrolment_timeout',
  };
  if (known[code])
    return {
      code: known[code],
      message: code === 'States.Timeout' ? 'The node did not register and heartbeat before the deadline.' : message,
    };
  // A step handler's error message starts with its stable code (functions/shared/step-handler.ts).
  const coded = /^([a-z][a-z0-9_]*): (.+)$/s.exec(message);
  return coded ? { code: coded[1] as string, message: coded[2] as string } : { code, message };
}

/** Any phase of the current run → Failed, saying why. */
export async function markFailed(
  ports: Pick<StepPorts, 'resources' | 'clock'>,
  input: StepInput & { error?: ErrorInfo | undefined; cause?: { Error?: string; Cause?: string } | undefined },
): Promise<StepOutcome> {
  const r = await current(ports, input, ['Pending', 'Provisioning', 'Enrolling', 'Ready', 'Deregistering', 'Deprovisioning']);
  if (!r?.provisioning) return superseded;
  const error = input.error ?? errorInfo(input.cause);
  const during = TEARDOWN_PHASES.includes(r.provisioning.phase) ? 'teardown' : 'provisioning';
  const moved = await ports.resources.changePhase(r.id, {
    from: [r.provisioning.phase],
    to: 'Failed',
    generation: input.generation,
    at: ports.clock.now().toISOString(),
    reason: `${during === 'teardown' ? 'Teardown' : 'Provisioning'} failed in ${r.provisioning.phase}: ${error.message}`,
    error,
  });
  return moved ? done : superseded;
}
