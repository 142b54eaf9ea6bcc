import { Page } from '../ui/kit.tsx';

// Placeholder until this view is built.
export function EventsPage() {
  return (
    <Page title="Events">
      <p>Not built yet.</p>
    </Page>
  );
}
