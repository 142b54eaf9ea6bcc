// The catalog (the platform operator's): its clouds and blueprints, each linking to its page. A
// caller who may not read the catalog is told so in the broker's words.
import type { Schemas } from '../../../client/broker.ts';
import { api, BrokerProblem, must } from '../api.ts';
import { href } from '../router.ts';
import { dateTime } from '../ui/format.ts';
import { Page, ProblemMessage, Table } from '../ui/kit.tsx';
import { PAGE_SIZE, PagedList, usePaged } from '../ui/paging.tsx';
import { BlueprintStatus } from './blueprint.tsx';

export { BlueprintPage } from './blueprint.tsx';
export { CloudPage } from './cloud.tsx';

type Cloud = Schemas['CloudView'];
type Blueprint = Schemas['BlueprintView'];

const page = (cursor: string | undefined) => ({ query: { limit: PAGE_SIZE, ...(cursor && { cursor }) } });

function isForbidden(error: unknown): boolean {
  return error instanceof BrokerProblem && error.status === 403;
}

export function CatalogPage() {
  const clouds = usePaged((cursor) => must(api.GET('/v1/clouds', { params: page(cursor) })), []);
  const blueprints = usePaged((cursor) => must(api.GET('/v1/blueprints', { params: page(cursor) })), []);
  if (isForbidden(clouds.error) && isForbidden(blueprints.error)) {
    return (
      <Page title="Catalog">
        <ProblemMessage error={clouds.error} prefix="The catalog is not open to you:" />
        <p>The catalog is kept by the platform's operators; ask one of them if you need to know what it holds.</p>
      </Page>
    );
  }
  return (
    <Page title="Catalog">
      <p class="view-intro">The clouds Resources run on, their credentials, and the blueprints Resources are made from.</p>
      {/* Each h2 names its table on screen; the tables' captions stay for screen readers. */}
      <h2>Clouds</h2>
      <PagedList paged={clouds} what="clouds">
        {(items) => (
          <Table<Cloud>
            caption="Clouds"
            captionHidden
            rows={items}
            rowKey={(c) => c.id}
            empty="No cloud is registered yet."
            columns={[
              { header: 'Name', cell: (c) => <a href={href(`/catalog/clouds/${c.id}`)}>{c.display_name}</a> },
              { header: 'Slug', cell: (c) => <code>{c.slug}</code> },
              { header: 'Provider', cell: (c) => c.provider },
              { header: 'Registered', cell: (c) => dateTime(c.created_at) },
            ]}
          />
        )}
      </PagedList>
      <h2>Blueprints</h2>
      <PagedList paged={blueprints} what="blueprints">
        {(items) => (
          <Table<Blueprint>
            caption="Blueprints"
            captionHidden
            rows={items}
            rowKey={(b) => b.id}
            empty="No blueprint is registered yet."
            columns={[
              { header: 'Name', cell: (b) => <a href={href(`/catalog/blueprints/${b.id}`)}>{b.display_name}</a> },
              { header: 'Slug', cell: (b) => <code>{b.slug}</code> },
              { header: 'Status', cell: (b) => <BlueprintStatus status={b.status} /> },
              { header: 'Description', cell: (b) => b.description || '—' },
              { header: 'Registered', cell: (b) => dateTime(b.created_at) },
            ]}
          />
        )}
      </PagedList>
    </Page>
  );
}
