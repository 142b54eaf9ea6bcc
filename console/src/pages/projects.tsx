import { Page } from '../ui/kit.tsx';

// Placeholder until this view is built.
export function ProjectsPage() {
  return (
    <Page title="Projects">
      <p>Not built yet.</p>
    </Page>
  );
}
export function ProjectPage(props: { id: string }) {
  return (
    <Page title="Project">
      <p>Not built yet.</p>
    </Page>
  );
}
