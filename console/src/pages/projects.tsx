// The projects of the signed-in user's domain, and a new one: a project is where Resources live
// and what a credential is granted to.
import { useId, useState } from 'preact/hooks';
import type { Schemas } from '../../../client/broker.ts';
import { api, BrokerProblem, must } from '../api.ts';
import { href, navigate } from '../router.ts';
import { useSession } from '../session.ts';
import { useAction } from '../ui/async.ts';
import { dateTime } from '../ui/format.ts';
import { FormButtons, Page, ProblemMessage, Table, TextField } from '../ui/kit.tsx';
import { PAGE_SIZE, PagedList, usePaged } from '../ui/paging.tsx';

export { ProjectPage } from './project.tsx';

type Project = Schemas['ProjectView'];

export function ProjectsPage() {
  const { user } = useSession();
  const projects = usePaged<Project>(
    (cursor) => must(api.GET('/v1/projects', { params: { query: { domain_id: user.domain_id, limit: PAGE_SIZE, cursor } } })),
    [user.domain_id],
  );
  return (
    <Page title="Projects">
      <p>The projects of your domain. Open one to request a credential for it and to create Resources in it.</p>
      <PagedList paged={projects} what="projects">
        {(items) => (
          <Table
            caption="Projects in your domain"
            rows={items}
            rowKey={(p) => p.id}
            empty="Your domain has no projects yet. Create the first one below."
            columns={[
              { header: 'Name', cell: (p) => <a href={href(`/projects/${p.id}`)}>{p.name}</a> },
              { header: 'Slug', cell: (p) => <code>{p.slug}</code> },
              { header: 'Description', cell: (p) => p.description || <span class="empty">None</span> },
              { header: 'Created', cell: (p) => dateTime(p.created_at) },
            ]}
          />
        )}
      </PagedList>
      <NewProjectForm domainId={user.domain_id} />
    </Page>
  );
}

/** What the broker accepts as a slug (functions/core/tenancy.ts SLUG_PATTERN). */
const SLUG_HINT =
  'Lowercase letters, digits and dashes, 1 to 63 characters, starting and ending with a letter or digit. Unique in the domain.';

/** A slug suggested from a name: "Web shop (EU)" → "web-shop-eu". */
function slugOf(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof BrokerProblem)) return {};
  const out: Record<string, string> = {};
  if (error.code === 'project_slug_conflict') out.slug = 'Another project of the domain has this slug.';
  for (const e of (error.problem.errors ?? []) as Array<{ path?: string; message?: string }>) {
    if (e.path && e.message) out[e.path] = e.message;
  }
  return out;
}

function NewProjectForm(props: { domainId: string }) {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const [description, setDescription] = useState('');
  const descriptionId = useId();
  const create = useAction(async () => {
    const body = {
      domain_id: props.domainId,
      name: name.trim(),
      slug: slug.trim(),
      ...(description.trim() && { description: description.trim() }),
    };
    const project = await must(api.POST('/v1/projects', { body }));
    navigate(`/projects/${project.id}`);
  });
  const errors = fieldErrors(create.error);
  return (
    <section class="panel" aria-labelledby="new-project">
      <h2 id="new-project">New project</h2>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <TextField
          label="Name"
          value={name}
          required
          error={errors.name}
          onValue={(value) => {
            setName(value);
            if (!slugTouched) setSlug(slugOf(value));
          }}
        />
        <TextField
          label="Slug"
          value={slug}
          required
          hint={SLUG_HINT}
          error={errors.slug}
          autocomplete="off"
          spellcheck={false}
          onValue={(value) => {
            setSlugTouched(true);
            setSlug(value);
          }}
        />
        <div class="field">
          <label for={descriptionId}>Description (optional)</label>
          <textarea id={descriptionId} rows={2} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </div>
        <ProblemMessage error={create.error} prefix="The project was not created." />
        <FormButtons label="Create project" busyLabel="Creating…" busy={create.busy} tone="primary" />
      </form>
    </section>
  );
}
