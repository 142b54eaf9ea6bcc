import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synth } from '../infra/synth.ts';

// Every stage the app is synthesized for (the tests' two, and the LocalStack one) linted by
// cfn-lint, a CloudFormation checker we did not write: no errors, and only the warnings listed here.

const STAGES = ['dev', 'prod', 'localstack'] as const;
const STACKS = ['data', 'api', 'workflows'] as const;

/**
 * Warnings accepted, by stack, rule and resource (logical id). Each names why; anything not here fails.
 * W3005 "dependency already enforced by a GetAtt": CDK's Function and StateMachine also list their
 * role in DependsOn (beside its default policy, which is what the DependsOn is for); the duplicate
 * changes nothing about the deployment order.
 */
const ACCEPTED: Record<(typeof STACKS)[number], Array<[rule: string, resource: string]>> = {
  data: [],
  api: [
    ['W3005', 'AuthApiFunction8DFAD5C9'],
    ['W3005', 'TenancyApiFunctionACCB391D'],
    ['W3005', 'CatalogApiFunctionEC9FE8EF'],
    ['W3005', 'AssignmentsApiFunction2FFACE5F'],
    ['W3005', 'ResourcesApiFunction81C3BB1B'],
    ['W3005', 'NodesApiFunctionA09AF327'],
    ['W3005', 'EventsApiFunction3E08AF92'],
    ['W3005', 'WebhooksApiFunctionFA6887AE'],
    // The web console's function (infra/constructs/console.ts): the same BrokerFunction, the same duplicate.
    ['W3005', 'ConsoleFunctionE7833E2B'],
  ],
  workflows: [
    ['W3005', 'ProvisionStepsFunctionCC300330'],
    ['W3005', 'SubstrateStepsFunction63284E22'],
    ['W3005', 'Provision0F7F188D'],
    ['W3005', 'Teardown0042FE15'],
    ['W3005', 'ReconcilerFunction0432B6FF'],
    ['W3005', 'LeaseExpiryFunctionF45D560E'],
    ['W3005', 'WebhookDispatchFunctionD516B5E4'],
  ],
};

interface Finding {
  Rule: { Id: string };
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Filename: string;
  Location: { Path: Array<string | number> | null };
}

const key = (stack: string, rule: string, resource: string) => `${stack} ${rule} ${resource}`;

describe('cfn-lint on every synthesized stage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexsphere-cfn-lint-'));
  let findings: Finding[] = [];
  const files: Array<{ stage: string; stack: (typeof STACKS)[number]; file: string }> = [];

  beforeAll(() => {
    for (const stage of STAGES) {
      const synthesized = synth(stage);
      for (const stack of STACKS) {
        const file = join(dir, `plexsphere-${stage}-${stack}.json`);
        writeFileSync(file, JSON.stringify(synthesized[stack].toJSON()));
        files.push({ stage, stack, file });
      }
      // The app synthesized into a temporary folder of its own; the templates are copied out.
      rmSync(synthesized.app.outdir, { recursive: true, force: true });
    }
    const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...files.map((f) => f.file)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.error) {
      const missing = (run.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(missing ? 'cfn-lint is not installed: pip install cfn-lint (npm test’s pretest does it when it can)' : String(run.error));
    }
    // cfn-lint's exit code is a bit mask of the levels it found; the JSON on stdout is the answer.
    try {
      findings = JSON.parse(run.stdout) as Finding[];
    } catch {
      throw new Error(`cfn-lint gave no JSON (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
    }
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const where = (f: Finding) => {
    const file = files.find((x) => x.file === f.Filename);
    const path = f.Location.Path ?? [];
    const resource = path[0] === 'Resources' ? String(path[1]) : path.join('/');
    return { stage: file?.stage ?? f.Filename, stack: file?.stack ?? '?', resource };
  };

  it('finds no errors', () => {
    const errors = findings.filter((f) => f.Level === 'Error').map((f) => ({ ...where(f), rule: f.Rule.Id, message: f.Message }));
    expect(errors).toEqual([]);
  });

  it.each(STAGES)('stage %s: warns of exactly the accepted warnings, and nothing else', (stage) => {
    const warnings = findings
      .filter((f) => f.Level !== 'Error')
      .map((f) => ({ ...where(f), rule: f.Rule.Id }))
      .filter((w) => w.stage === stage);
    const seen = [...new Set(warnings.map((w) => key(w.stack, w.rule, w.resource)))].sort();
    const accepted = STACKS.flatMap((stack) => ACCEPTED[stack].map(([rule, resource]) => key(stack, rule, resource))).sort();
    expect(seen).toEqual(accepted);
  });
});
