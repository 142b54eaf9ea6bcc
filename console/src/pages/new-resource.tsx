import { Page } from '../ui/kit.tsx';

// Placeholder until this view is built.
export function NewResourcePage(props: { projectId: string; query: URLSearchParams }) {
  return (
    <Page title="New Resource">
      <p>Not built yet.</p>
    </Page>
  );
}
