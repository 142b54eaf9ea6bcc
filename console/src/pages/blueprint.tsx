// One blueprint: its facts and its immutable versions, newest first, each with its id (what a
// Resource and an assignment's terms name), its providers, how the node's bootstrap is injected,
// and its parameter schema.
import { useId } from 'preact/hooks';
import type { Schemas } from '../../../client/broker.ts';
import { api, must } from '../api.ts';
import { useLoad } from '../ui/async.ts';
import { CopyableId } from '../ui/copyable-id.tsx';
import { dateTime } from '../ui/format.ts';
import { Badge, Facts, Loading, Page, ProblemMessage } from '../ui/kit.tsx';
import { ParameterTable } from './blueprint-parameters.tsx';
import { BackToCatalog } from './cloud.tsx';

type Version = Schemas['BlueprintVersionView'];

/** A blueprint's status as a badge: Active, or Retired (muted). */
export function BlueprintStatus(props: { status: Schemas['BlueprintView']['status'] }) {
  const active = props.status === 'active';
  return <Badge tone={active ? 'ok' : 'muted'}>{active ? 'Active' : 'Retired'}</Badge>;
}

const INJECTION_WORDS: Record<Version['injection_strategy'], string> = {
  'cloud-init-user-data': 'cloud-init user data',
  'helm-values': 'Helm values',
  'provider-secret': 'a provider secret',
};

function VersionSection(props: { version: Version }) {
  const v = props.version;
  const headingId = useId();
  return (
    <section class="version" aria-labelledby={headingId}>
      <h3 id={headingId}>Version {v.version}</h3>
      <Facts
        rows={[
          ['Version id', <CopyableId key="id" id={v.id} what={`the id of version ${v.version}`} />],
          ['Providers', v.provider_kinds.join(', ')],
          [
            'Bootstrap injected as',
            <>
              {INJECTION_WORDS[v.injection_strategy]} (<code>{v.injection_strategy}</code>)
            </>,
          ],
          ['Published', dateTime(v.created_at)],
        ]}
      />
      <ParameterTable version={v.version} parameters={v.parameter_schema} />
    </section>
  );
}

export function BlueprintPage(props: { id: string }) {
  const blueprint = useLoad(() => must(api.GET('/v1/blueprints/{id}', { params: { path: { id: props.id } } })), [props.id]);
  const b = blueprint.data;
  return (
    <Page title={b ? b.display_name : 'Blueprint'}>
      <BackToCatalog />
      <ProblemMessage error={blueprint.error} prefix="The blueprint could not be read:" />
      {!b && blueprint.loading && <Loading what="the blueprint" />}
      {b && (
        <>
          <Facts
            rows={[
              ['Slug', <code key="slug">{b.slug}</code>],
              ['Status', <BlueprintStatus key="status" status={b.status} />],
              ['Description', b.description || 'None'],
              ['Id', <code key="id">{b.id}</code>],
              ['Registered', dateTime(b.created_at)],
              ['Last changed', dateTime(b.updated_at)],
            ]}
          />
          <h2>Versions</h2>
          {b.versions.length === 0 ? (
            <p class="empty">No version of this blueprint is published yet.</p>
          ) : (
            b.versions.map((v) => <VersionSection key={v.id} version={v} />)
          )}
        </>
      )}
    </Page>
  );
}
