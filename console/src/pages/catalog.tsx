import { Page } from '../ui/kit.tsx';

// Placeholder until this view is built.
export function CatalogPage() {
  return (
    <Page title="Catalog">
      <p>Not built yet.</p>
    </Page>
  );
}
export function CloudPage(props: { id: string }) {
  return (
    <Page title="Cloud">
      <p>Not built yet.</p>
    </Page>
  );
}
export function BlueprintPage(props: { id: string }) {
  return (
    <Page title="Blueprint">
      <p>Not built yet.</p>
    </Page>
  );
}
