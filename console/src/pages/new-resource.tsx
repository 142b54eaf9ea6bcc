// A new Resource, planned before it is created. Step 1 names the credential, the blueprint
// version, the kind and the lease, and a dry run answers with the version's parameters (the
// owner cannot read the catalog); step 2 fills them in a form generated from that schema and
// checks the plan again. Create is offered only for inputs a plan said the broker would admit.
import { useRef, useState } from 'preact/hooks';
import type { Schemas } from '../../../client/broker.ts';
import { api, BrokerProblem, must } from '../api.ts';
import { href, navigate } from '../router.ts';
import { useAction, useLoad } from '../ui/async.ts';
import { FormButtons, Loading, Page, ProblemMessage, SelectField, TextField } from '../ui/kit.tsx';
import { initialInputs, type ParameterInputs, ParameterFields, type ParameterSpec, parameterValues } from '../ui/parameter-form.tsx';
import { leaseText, parseLease, termsInWords } from '../ui/terms-words.ts';
import { type CreatePlan, PlanPanel } from './resource-plan.tsx';

type Assignment = Schemas['AssignmentView'];
type ProvisionedBody = Extract<Schemas['CreateResourceBody'], { origin: 'provisioned' }>;

/** The select's choice that reveals a text field for a credential id not in the list. */
const OTHER = '';

/** A key for Idempotency-Key (letters, digits, dashes): one per distinct body, so a double click creates one Resource. */
function idempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** The broker's field errors of a refused create (422 invalid_parameters), keyed by parameter name. */
function parameterErrors(error: unknown): Record<string, string> {
  if (!(error instanceof BrokerProblem) || error.code !== 'invalid_parameters') return {};
  const out: Record<string, string> = {};
  for (const e of (error.problem.errors ?? []) as Array<{ path?: string; name?: string; message?: string }>) {
    const name = e.name ?? e.path?.replace(/^parameters\./, '');
    if (name && e.message) out[name] = e.message;
  }
  return out;
}

export function NewResourcePage(props: { projectId: string; query: URLSearchParams }) {
  const { projectId, query } = props;
  const project = useLoad(() => must(api.GET('/v1/projects/{id}', { params: { path: { id: projectId } } })), [projectId]);
  const assignments = useLoad(
    () => must(api.GET('/v1/projects/{id}/credential-assignments', { params: { path: { id: projectId }, query: { limit: 200 } } })),
    [projectId],
  );
  const [credChoice, setCredChoice] = useState<string | undefined>(undefined);
  const [credText, setCredText] = useState(query.get('credential') ?? '');
  const [versionInput, setVersionInput] = useState(query.get('version') ?? '');
  const [kind, setKind] = useState('node');
  const [lease, setLease] = useState('');
  const [schema, setSchema] = useState<{ versionId: string; params: ParameterSpec[] } | undefined>(undefined);
  const [inputs, setInputs] = useState<ParameterInputs>({});
  const [plan, setPlan] = useState<{ key: string; plan: CreatePlan } | undefined>(undefined);
  const idempotency = useRef<{ key: string; value: string } | undefined>(undefined);

  const approved: Assignment[] = (assignments.data?.items ?? []).filter((a) => a.state === 'approved');
  const wanted = query.get('credential') ?? '';
  const choice =
    credChoice ??
    (approved.some((a) => a.cloud_credential_id === wanted) ? wanted : wanted ? OTHER : (approved[0]?.cloud_credential_id ?? OTHER));
  const credential = (approved.length && choice !== OTHER ? choice : credText).trim();
  const assignment = approved.find((a) => a.cloud_credential_id === credential);
  const allowedVersions = assignment?.terms?.allowed_blueprint_version_ids ?? [];
  const version = allowedVersions.length
    ? allowedVersions.includes(versionInput)
      ? versionInput
      : (allowedVersions[0] ?? '')
    : versionInput.trim();
  const params = schema?.versionId === version ? schema.params : undefined;
  const leaseSeconds = lease.trim() ? parseLease(lease) : undefined;
  const leaseError = lease.trim() && leaseSeconds === undefined ? 'Write a duration such as 8h, 7d or 1d 12h.' : undefined;

  const body: ProvisionedBody = {
    origin: 'provisioned',
    kind: kind.trim(),
    blueprint_version_id: version,
    cloud_credential_id: credential,
    parameters: params ? parameterValues(params, inputs) : {},
    ...(leaseSeconds !== undefined && { lease_seconds: leaseSeconds }),
  };
  const key = JSON.stringify(body);
  const ready = Boolean(credential && version && body.kind && !leaseError);

  const check = useAction(async () => {
    const answer = (await must(
      api.POST('/v1/projects/{id}/resources', { params: { path: { id: projectId }, query: { dry_run: true } }, body }),
    )) as CreatePlan;
    setPlan({ key, plan: answer });
    const bv = answer.blueprint_version;
    if (bv && schema?.versionId !== bv.id) {
      setSchema({ versionId: bv.id, params: bv.parameter_schema });
      setInputs((before) => initialInputs(bv.parameter_schema, before));
    }
  });
  const create = useAction(async () => {
    if (idempotency.current?.key !== key) idempotency.current = { key, value: idempotencyKey() };
    const made = (await must(
      api.POST('/v1/projects/{id}/resources', {
        params: { path: { id: projectId }, header: { 'Idempotency-Key': idempotency.current.value } },
        body,
      }),
    )) as Schemas['ResourceView'];
    navigate(`/resources/${made.id}`);
  });

  const fresh = plan?.key === key;
  const canCreate = ready && fresh && plan?.plan.allowed === true && !create.busy;
  const p = project.data;
  if (!p || !(assignments.data || assignments.error)) {
    return (
      <Page title="New Resource">
        {project.loading || assignments.loading ? <Loading what="the project" /> : <ProblemMessage error={project.error} />}
      </Page>
    );
  }
  const fieldErrors = parameterErrors(create.error);
  return (
    <Page title={`New Resource in ${p.name}`}>
      <p>
        <a href={href(`/projects/${p.id}`)}>Back to project {p.name}</a>
      </p>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (ready) void check.run();
        }}
      >
        <section aria-labelledby="step-what">
          <h2 id="step-what">1. What to create, and who pays</h2>
          <ProblemMessage error={assignments.error} prefix="The project's credentials could not be read; type the credential id." />
          {approved.length > 0 ? (
            <SelectField
              label="Credential"
              value={choice}
              onValue={setCredChoice}
              hint={assignment ? `Approved on these terms: ${termsInWords(assignment.terms)}.` : undefined}
              options={[
                ...approved.map((a): [string, string] => [a.cloud_credential_id, a.cloud_credential_id]),
                [OTHER, 'Another credential (type its id)'],
              ]}
            />
          ) : (
            <p class="notice">
              This project has no approved credential yet. <a href={href(`/projects/${p.id}`)}>Request one on the project's page</a>, or
              type the id of one approved since.
            </p>
          )}
          {(approved.length === 0 || choice === OTHER) && (
            <TextField label="Credential id" value={credText} required autocomplete="off" spellcheck={false} onValue={setCredText} />
          )}
          {allowedVersions.length > 0 ? (
            <SelectField
              label="Blueprint version"
              value={version}
              onValue={setVersionInput}
              hint="The versions this credential's terms allow."
              options={allowedVersions.map((v): [string, string] => [v, v])}
            />
          ) : (
            <TextField
              label="Blueprint version id"
              value={versionInput}
              required
              autocomplete="off"
              spellcheck={false}
              hint="The id of the blueprint version to provision, as the platform operator gave it to you."
              onValue={setVersionInput}
            />
          )}
          <TextField label="Kind" value={kind} required onValue={setKind} hint="What the Resource is; node by default." />
          <TextField
            label="Lease (optional)"
            value={lease}
            error={leaseError}
            hint={`A duration such as 8h or 7d. Empty: ${
              assignment?.terms?.max_lease_seconds !== undefined
                ? `the longest the terms allow (${leaseText(assignment.terms.max_lease_seconds)})`
                : "the broker's default"
            }.`}
            onValue={setLease}
          />
        </section>
        {params && (
          <section aria-labelledby="step-parameters">
            <h2 id="step-parameters">2. Parameters</h2>
            <p class="hint">
              Generated from the blueprint version's schema. The hints repeat its constraints; the broker checks them, and the plan says
              what it refuses.
            </p>
            <ParameterFields
              schema={params}
              inputs={inputs}
              errors={fieldErrors}
              onChange={(name, value) => setInputs((before) => ({ ...before, [name]: value }))}
            />
          </section>
        )}
        <ProblemMessage error={check.error} prefix="The plan could not be made." />
        <FormButtons
          label={params ? 'Check plan' : 'Check'}
          busyLabel="Checking…"
          busy={check.busy}
          disabled={!ready}
          tone={params ? undefined : 'primary'}
        />
      </form>
      <PlanPanel plan={plan?.plan} stale={Boolean(plan) && !fresh} checking={check.busy} />
      <ProblemMessage error={create.error} prefix="The Resource was not created." />
      <div class="buttons">
        <button type="button" class="primary" disabled={!canCreate} aria-describedby="create-why" onClick={() => void create.run()}>
          {create.busy ? 'Creating…' : 'Create'}
        </button>
      </div>
      <p class="hint" id="create-why">
        {canCreate
          ? 'The plan for exactly these inputs says the broker would create it.'
          : 'Create is offered once a plan for exactly these inputs says the broker would allow it.'}
      </p>
    </Page>
  );
}
