// One Resource: what it is, its phase timeline and where it stands, its lease, and its deletion
// behind a typed confirmation. It follows its project's event log, so a phase reached, a lease
// moved or a teardown shows up without a reload; a Deleted Resource stays readable.
import { useEffect, useState } from 'preact/hooks';
import type { Schemas } from '../../../client/broker.ts';
import { api, must } from '../api.ts';
import { useEventFollower } from '../live.ts';
import { href, navigate } from '../router.ts';
import { useAction, useLoad } from '../ui/async.ts';
import { dateTime } from '../ui/format.ts';
import { Facts, Loading, Page, ProblemMessage, StatusNotice, TypedConfirmation } from '../ui/kit.tsx';
import { TEARING_DOWN } from '../ui/phase.tsx';
import { LeasePanel } from './lease-panel.tsx';
import { resourceName } from './resource-link.tsx';
import { CurrentState, Timeline } from './resource-timeline.tsx';

type Resource = Schemas['ResourceView'];

function ResourceFacts(props: { resource: Resource; projectName: string | undefined }) {
  const r = props.resource;
  const p = r.provisioning;
  return (
    <Facts
      rows={[
        ['Name', <code key="name">{resourceName(r)}</code>],
        ['Id', <code key="id">{r.id}</code>],
        [
          'Project',
          <a key="project" href={href(`/projects/${r.project_id}`)}>
            {props.projectName ?? r.project_id}
          </a>,
        ],
        ['Kind', r.kind],
        ['Origin', r.origin === 'provisioned' ? 'Provisioned by the broker' : 'Adopted (exists elsewhere)'],
        r.blueprint_version_id && ['Blueprint version', <code key="version">{r.blueprint_version_id}</code>],
        r.cloud_credential_id && ['Credential', <code key="credential">{r.cloud_credential_id}</code>],
        r.external_ref && r.origin === 'adopted' && ['External reference', <code key="ref">{r.external_ref}</code>],
        [
          'Node',
          p?.node ? (
            <>
              <code>{p.node.node_id}</code>, mesh IP <code>{p.node.mesh_ip}</code>
              {p.node.last_heartbeat_at && `; last heartbeat ${dateTime(p.node.last_heartbeat_at)}`}
            </>
          ) : (
            'Not enrolled'
          ),
        ],
        [
          'Instance',
          p?.substrate ? (
            <>
              {p.substrate.provider} in {p.substrate.region}
              {p.substrate.instance_id && (
                <>
                  , <code>{p.substrate.instance_id}</code>
                </>
              )}
              {p.substrate.state && ` (${p.substrate.state})`}
            </>
          ) : (
            'None launched'
          ),
        ],
        ['Created', dateTime(r.created_at)],
        ['Updated', dateTime(r.updated_at)],
      ]}
    />
  );
}

export function ResourcePage(props: { id: string }) {
  const { id } = props;
  const loaded = useLoad(() => must(api.GET('/v1/resources/{id}', { params: { path: { id } } })), [id]);
  const r = loaded.data;
  const project = useLoad(
    async () => (r ? must(api.GET('/v1/projects/{id}', { params: { path: { id: r.project_id } } })) : undefined),
    [r?.project_id],
  );
  const follow = useEventFollower(r ? { projectId: r.project_id } : undefined, (events) => {
    if (events.some((e) => e.subject.id === id)) void loaded.reload();
  });
  // The follow starts where the log ends: read once more then, for what happened in between.
  useEffect(() => {
    if (follow.caughtUp) void loaded.reload();
  }, [follow.caughtUp]);
  const [confirming, setConfirming] = useState(false);
  const [deleted, setDeleted] = useState<string | undefined>(undefined);
  const remove = useAction(async () => {
    if (!r) return;
    await must(api.DELETE('/v1/resources/{id}', { params: { path: { id } } }));
    if (r.origin === 'adopted') {
      setConfirming(false);
      navigate(`/projects/${r.project_id}`);
      return;
    }
    // Read again before the dialog closes: the Delete… button that opened it goes with the new
    // phase, and focus then moves to the notice that says what happens now.
    await loaded.reload();
    setDeleted('Teardown asked for: the node is deregistered, then its instance deprovisioned. This page follows it until Deleted.');
    setConfirming(false);
  });

  if (!r) {
    return (
      <Page title="Resource">
        {loaded.loading ? (
          <Loading what="the Resource" />
        ) : (
          <ProblemMessage error={loaded.error} prefix="The Resource could not be read." />
        )}
      </Page>
    );
  }
  const p = r.provisioning;
  const name = resourceName(r);
  const deletable = !p || !TEARING_DOWN.includes(p.phase);
  return (
    <Page
      title={`Resource ${name}`}
      actions={
        deletable && (
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            Delete…
          </button>
        )
      }
    >
      <ProblemMessage error={loaded.error} prefix="The Resource could not be read again; what is shown may be out of date." />
      <StatusNotice text={deleted} />
      <ResourceFacts resource={r} projectName={project.data?.name} />
      {p && (
        <>
          <h2>Where it stands</h2>
          <CurrentState provisioning={p} />
          <h2>Timeline</h2>
          <Timeline transitions={p.transitions} />
        </>
      )}
      <h2>Lease</h2>
      <LeasePanel resource={r} canExtend={deletable} onChanged={() => void loaded.reload()} />
      {confirming && (
        <TypedConfirmation
          title={`Delete ${name}?`}
          expected={name}
          confirmLabel="Delete the Resource"
          busy={remove.busy}
          error={remove.error}
          onConfirm={() => void remove.run()}
          onCancel={() => {
            remove.clearError();
            setConfirming(false);
          }}
          explanation={
            r.origin === 'provisioned' ? (
              <p>
                The broker tears the Resource down: its node leaves the mesh, then its instance is deprovisioned. This cannot be undone.
                Type its name, <code>{name}</code>, to confirm.
              </p>
            ) : (
              <p>
                The broker forgets this adopted Resource; nothing is torn down elsewhere. Type its name, <code>{name}</code>, to confirm.
              </p>
            )
          }
        />
      )}
    </Page>
  );
}
