import { Page } from '../ui/kit.tsx';

// Placeholder until this view is built.
export function ResourcePage(props: { id: string }) {
  return (
    <Page title="Resource">
      <p>Not built yet.</p>
    </Page>
  );
}
