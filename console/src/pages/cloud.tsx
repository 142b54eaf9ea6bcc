// One cloud: its facts and its credentials (metadata only: the material never leaves the vault).
import { api, must } from '../api.ts';
import { href } from '../router.ts';
import { useLoad } from '../ui/async.ts';
import { dateTime } from '../ui/format.ts';
import { Facts, Loading, Page, ProblemMessage } from '../ui/kit.tsx';
import { CloudCredentials } from './cloud-credentials.tsx';

function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A settings object (endpoint, region defaults) as "key: value" lines. */
function Settings(props: { value: Record<string, unknown> }) {
  const entries = Object.entries(props.value);
  if (entries.length === 0) return <>None</>;
  return (
    <ul class="settings">
      {entries.map(([key, value]) => (
        <li key={key}>
          {key}: <code>{shown(value)}</code>
        </li>
      ))}
    </ul>
  );
}

export function BackToCatalog() {
  return (
    <p class="catalog-back">
      <a href={href('/catalog')}>Back to the catalog</a>
    </p>
  );
}

export function CloudPage(props: { id: string }) {
  const cloud = useLoad(() => must(api.GET('/v1/clouds/{id}', { params: { path: { id: props.id } } })), [props.id]);
  const c = cloud.data;
  return (
    <Page title={c ? c.display_name : 'Cloud'}>
      <BackToCatalog />
      <ProblemMessage error={cloud.error} prefix="The cloud could not be read:" />
      {!c && cloud.loading && <Loading what="the cloud" />}
      {c && (
        <>
          <Facts
            rows={[
              ['Slug', <code key="slug">{c.slug}</code>],
              ['Provider', c.provider],
              ['Id', <code key="id">{c.id}</code>],
              ['External id', <code key="ext">{c.external_id}</code>],
              ['Endpoint', <Settings key="endpoint" value={c.endpoint} />],
              ['Region defaults', <Settings key="regions" value={c.region_defaults} />],
              ['Registered', dateTime(c.created_at)],
              ['Last changed', dateTime(c.updated_at)],
            ]}
          />
          <h2>Credentials</h2>
          <p class="view-intro">What the vault holds for this cloud, by name only: the secret material is never shown.</p>
          <CloudCredentials cloudId={c.id} />
        </>
      )}
    </Page>
  );
}
