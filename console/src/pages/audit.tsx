// The domain's audit trail: first whether its hash chain still holds (the broker re-checks it on
// demand), then the entries themselves, a page at a time.
import { useSession } from '../session.ts';
import { Page } from '../ui/kit.tsx';
import { AuditTrail } from './audit-trail.tsx';
import { useVerdict, VerdictPanel } from './audit-verdict.tsx';

export function AuditPage() {
  const { user } = useSession();
  const verdict = useVerdict(user.domain_id);
  const broken = verdict.data?.verdict.valid === false ? verdict.data.verdict.first_broken?.id : undefined;
  return (
    <Page title="Audit trail">
      <p class="audit-intro">
        Every request for a credential and every decision on one, with who made it and the outcome. Each entry holds the hash of the one
        before it, so a change made behind the broker's back shows up when the chain is verified.
      </p>
      <VerdictPanel verdict={verdict} />
      <AuditTrail domainId={user.domain_id} brokenId={broken} />
    </Page>
  );
}
