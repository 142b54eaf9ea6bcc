import { Page } from '../ui/kit.tsx';

// Placeholder until this view is built.
export function ApprovalsPage(props: { query: URLSearchParams }) {
  return (
    <Page title="Approvals">
      <p>Not built yet.</p>
    </Page>
  );
}
