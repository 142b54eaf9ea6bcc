// A Resource's phase as a badge: the word is always there, the colour only repeats it.
import type { Schemas } from '../../../client/broker.ts';
import { Badge } from './kit.tsx';

export type Phase = NonNullable<Schemas['ResourceView']['provisioning']>['phase'];

const TONES: Record<Phase, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = {
  Pending: 'info',
  Provisioning: 'info',
  Enrolling: 'info',
  Ready: 'ok',
  Failed: 'bad',
  Deregistering: 'warn',
  Deprovisioning: 'warn',
  Deleted: 'muted',
};

/** Phases after a delete was asked for (or the lease ran out): nothing more to extend or delete. */
export const TEARING_DOWN: readonly Phase[] = ['Deregistering', 'Deprovisioning', 'Deleted'];

export function PhaseBadge(props: { phase: Phase | undefined }) {
  if (!props.phase) return <Badge tone="muted">adopted</Badge>;
  return <Badge tone={TONES[props.phase]}>{props.phase}</Badge>;
}
