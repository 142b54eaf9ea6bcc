import { existsSync, readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { bootstrapTokenKeyId } from '../../functions/adapters/bootstrap-token-minter.ts';
import { nodeSigningKeyId } from '../../functions/adapters/node-secrets.ts';
import { FUNCTION_GROUPS } from '../../functions/api/routes.ts';
import { type ApiEnvInput, ApiEnvSchema } from '../../functions/shared/env.ts';
import { createStepHandler } from '../../functions/shared/step-handler.ts';
import { STATE_MACHINES, STEP_GROUPS, type StepGroup, TIMING_SUBSTITUTIONS } from '../../functions/steps/step-groups.ts';
import { type LambdaEnvironment, PROJECT_ROOT } from '../../infra/constructs/broker-function.ts';
import { MARK_FAILED_PATTERN } from '../../infra/constructs/failure-alarms.ts';
import { StageSecrets } from '../../infra/constructs/stage-secrets.ts';
import { RUNS, type Run } from '../../infra/naming.ts';
import { stageOf } from '../../infra/plexsphere.ts';

// The CDK app's configuration and its state machine files, checked without synthesizing a stage
// (test/infra/app.test.ts checks the synthesized stacks).

const STEPS = Object.keys(STEP_GROUPS) as StepGroup[];
const ASL: Record<Run, string> = {
  provision: readFileSync(`${PROJECT_ROOT}${STATE_MACHINES.provision.file}`, 'utf8'),
  teardown: readFileSync(`${PROJECT_ROOT}${STATE_MACHINES.teardown.file}`, 'utf8'),
};

describe('state machine definitions', () => {
  it.each(RUNS)('%s.asl.json is valid ASL once substituted', (run) => {
    const values: Record<string, string> = Object.fromEntries(TIMING_SUBSTITUTIONS.map((n) => [n, '5']));
    for (const g of STEPS) values[STEP_GROUPS[g].substitution] = `arn:aws:lambda:us-east-1:123456789012:function:plexsphere-test-${g}`;
    const definition = JSON.parse(
      ASL[run].replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => values[name] ?? `\${${name}}`),
    ) as unknown;
    const result = validator(definition, { checkPaths: true, checkArn: true });
    expect(result.errorsText(), run).toBe('');
    expect(result.isValid).toBe(true);
  });
});

describe('CDK app configuration', () => {
  it('names an existing handler entry file for every function group (NodejsFunction needs it to synthesize)', () => {
    const entries = [...Object.values(FUNCTION_GROUPS), ...Object.values(STEP_GROUPS)].map((g) => g.entry);
    expect(entries.filter((e) => !existsSync(`${PROJECT_ROOT}${e}`))).toEqual([]);
  });

  it('counts Resources entering Failed from the line the step handler really logs for mark-failed', async () => {
    const lines: string[] = [];
    const original = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      // At the functions' default level (info): a mark-failed that moved its Resource, one that was
      // superseded by a newer run, and another step.
      let outcome = 'done';
      const handler = createStepHandler('provision-steps', {
        'mark-failed': async () => ({ status: outcome }),
        'mark-ready': async () => ({ status: 'done' }),
      });
      await handler({ step: 'mark-failed', resource_id: 'r-1', generation: 1 });
      outcome = 'superseded';
      await handler({ step: 'mark-failed', resource_id: 'r-2', generation: 1 });
      await handler({ step: 'mark-ready', resource_id: 'r-3', generation: 1 });
    } finally {
      console.log = original;
    }
    // The pattern is a conjunction of `$.field = "value"` terms; evaluate it on each JSON line.
    const terms = [...MARK_FAILED_PATTERN.logPatternString.matchAll(/\$\.(\w+) = "([^"]*)"/g)].map(
      (m) => [m[1] as string, m[2] as string] as const,
    );
    expect(terms.length).toBeGreaterThan(0);
    const matches = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => terms.every(([k, v]) => o[k] === v));
    expect(matches.map((o) => o.resource_id)).toEqual(['r-1']);
  });

  it('names the secrets as the adapters do', () => {
    const secrets = new StageSecrets('pr-7');
    expect(secrets.bootstrapTokenKeyName).toBe(bootstrapTokenKeyId('pr-7'));
    expect(secrets.nodeSigningKeyName).toBe(nodeSigningKeyId('pr-7'));
  });

  it('refuses a stage name the functions would refuse', () => {
    expect(() => stageOf(new App({ context: { stage: 'Prod_1' } }))).toThrow(/Invalid stage/);
    expect(stageOf(new App({ context: { stage: 'pr-42' } }))).toBe('pr-42');
  });

  it('types the function environment from ApiEnvSchema, so a missing variable fails the typecheck', () => {
    const complete: LambdaEnvironment<ApiEnvInput> = {
      STAGE: 'dev',
      TABLE_NAME: 't',
      PUBLIC_URL: 'https://api.example.com',
      CURSOR_KEY_SECRET_ID: 'k',
      CREDENTIAL_SECRET_PREFIX: 'c/',
    };
    const { TABLE_NAME: _, ...withoutTable } = complete;
    // @ts-expect-error TABLE_NAME is required by ApiEnvSchema
    const missing: LambdaEnvironment<ApiEnvInput> = withoutTable;
    expect(ApiEnvSchema.safeParse(complete).success).toBe(true);
    expect(ApiEnvSchema.safeParse(missing).success).toBe(false);
  });
});
