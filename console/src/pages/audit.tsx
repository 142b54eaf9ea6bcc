import { Page } from '../ui/kit.tsx';

// Placeholder until this view is built.
export function AuditPage() {
  return (
    <Page title="Audit trail">
      <p>Not built yet.</p>
    </Page>
  );
}
