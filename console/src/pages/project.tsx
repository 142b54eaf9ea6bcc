// One project: its facts, the credentials it asked for (and on which terms it got them), and its
// Resources. Both lists follow the project's event log, so a decision or a phase made elsewhere
// shows up without a reload.
import { useEffect } from 'preact/hooks';
import type { Schemas } from '../../../client/broker.ts';
import { api, must } from '../api.ts';
import { useEventFollower } from '../live.ts';
import { href } from '../router.ts';
import { useLoad } from '../ui/async.ts';
import { dateTime } from '../ui/format.ts';
import { Facts, Loading, Page, ProblemMessage, Table } from '../ui/kit.tsx';
import { PAGE_SIZE, PagedList, usePaged } from '../ui/paging.tsx';
import { PhaseBadge } from '../ui/phase.tsx';
import { type Assignment, AssignmentsTable, RequestCredentialForm } from './project-credentials.tsx';
import { ResourceLink } from './resource-link.tsx';

type Resource = Schemas['ResourceView'];

export function ProjectPage(props: { id: string }) {
  const project = useLoad(() => must(api.GET('/v1/projects/{id}', { params: { path: { id: props.id } } })), [props.id]);
  const assignments = usePaged<Assignment>(
    (cursor) =>
      must(
        api.GET('/v1/projects/{id}/credential-assignments', { params: { path: { id: props.id }, query: { limit: PAGE_SIZE, cursor } } }),
      ),
    [props.id],
  );
  const resources = usePaged<Resource>(
    (cursor) => must(api.GET('/v1/projects/{id}/resources', { params: { path: { id: props.id }, query: { limit: PAGE_SIZE, cursor } } })),
    [props.id],
  );
  const follow = useEventFollower({ projectId: props.id }, (events) => {
    if (events.some((e) => e.type.startsWith('resource.'))) void resources.reload();
    // A Resource created or gone changes an assignment's usage too.
    if (events.some((e) => e.type.startsWith('assignment.') || e.type === 'resource.created' || e.type === 'resource.deleted')) {
      void assignments.reload();
    }
  });
  // The follow starts where the log ends: read both lists once more then, for what happened in between.
  useEffect(() => {
    if (!follow.caughtUp) return;
    void resources.reload();
    void assignments.reload();
  }, [follow.caughtUp]);

  const p = project.data;
  if (!p) {
    return (
      <Page title="Project">
        {project.loading ? (
          <Loading what="the project" />
        ) : (
          <ProblemMessage error={project.error} prefix="The project could not be read." />
        )}
        <p>
          <a href={href('/projects')}>Back to the projects</a>
        </p>
      </Page>
    );
  }
  const newResource = href(`/projects/${p.id}/new-resource`);
  return (
    <Page
      title={`Project ${p.name}`}
      actions={
        <a class="button primary" href={newResource}>
          New Resource
        </a>
      }
    >
      <p>
        <a href={href('/projects')}>All projects</a>
      </p>
      <Facts
        rows={[
          ['Name', p.name],
          ['Slug', <code key="slug">{p.slug}</code>],
          ['Description', p.description || 'None'],
          ['Id', <code key="id">{p.id}</code>],
          ['Created', dateTime(p.created_at)],
          p.sub_range_cidr && ['Mesh sub-range', <code key="cidr">{p.sub_range_cidr}</code>],
        ]}
      />

      <h2>Credentials</h2>
      <p>A Resource is paid for with a cloud credential its owner approved for this project, on the terms they set.</p>
      <PagedList paged={assignments} what="credentials">
        {(items) => <AssignmentsTable projectId={p.id} assignments={items} />}
      </PagedList>
      <RequestCredentialForm projectId={p.id} assignments={assignments} />

      <h2>Resources</h2>
      <PagedList paged={resources} what="Resources">
        {(items) => (
          <Table
            caption="Resources of this project"
            rows={items}
            rowKey={(r) => r.id}
            empty="No Resources yet. Create one with New Resource once a credential is approved."
            columns={[
              { header: 'Resource', cell: (r) => <ResourceLink resource={r} /> },
              { header: 'Phase', cell: (r) => <PhaseBadge phase={r.provisioning?.phase} /> },
              { header: 'Kind', cell: (r) => r.kind },
              { header: 'Created', cell: (r) => dateTime(r.created_at) },
              { header: 'Lease ends', cell: (r) => (r.lease ? dateTime(r.lease.expires_at) : 'No lease') },
            ]}
          />
        )}
      </PagedList>
      <p>
        <a href={newResource}>Create a new Resource in this project</a>
      </p>
    </Page>
  );
}
