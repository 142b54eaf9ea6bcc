import { reconcile } from '../core/reconcile.ts';
import { deps } from '../shared/composition.ts';
import { log } from '../shared/log.ts';

/** Runs on a schedule (EventBridge on AWS, a timer locally). */
export async function handler(): Promise<{ checked: number; resumed: number }> {
  const report = await reconcile(deps(), { minIdleSeconds: 10 });
  if (report.resumed.length) log('info', 'reconciler resumed runs', { resumed: report.resumed });
  return { checked: report.checked, resumed: report.resumed.length };
}
