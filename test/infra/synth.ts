import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { addPlexsphere, type Plexsphere, stageOf } from '../../infra/plexsphere.ts';

// The built-in CloudFormation validation costs seconds per synth; `cdk synth` still runs it.
process.env.CDK_VALIDATION = 'false';

/** cdk.json's context (feature flags included), so the tests synthesize what `cdk synth` would. */
export const CDK_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

export interface Synthesized {
  app: App;
  plexsphere: Plexsphere;
  data: Template;
  api: Template;
  workflows: Template;
}

/** Synthesizes one stage without bundling: an empty bundling-stacks list leaves the assets as placeholders. */
export function synth(stage: string, extra: (app: App) => void = () => {}, context: Record<string, unknown> = {}): Synthesized {
  const app = new App({ context: { ...CDK_CONTEXT, ...context, stage, 'aws:cdk:bundling-stacks': [] } });
  const plexsphere = addPlexsphere(app, stageOf(app));
  extra(app);
  const assembly = app.synth();
  const template = (s: Stack) => Template.fromJSON(assembly.getStackByName(s.stackName).template);
  return { app, plexsphere, data: template(plexsphere.data), api: template(plexsphere.api), workflows: template(plexsphere.workflows) };
}

export type Cfn = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;

export function resources(t: Template, type: string): Cfn {
  return t.findResources(type) as Cfn;
}

/** Renders an IAM resource (plain or intrinsic) as a readable string; tokens become `${...}`. */
export function render(v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o['Fn::Join'])) return ((o['Fn::Join'] as [string, unknown[]])[1] ?? []).map(render).join('');
  if (o.Ref !== undefined) return `\${${String(o.Ref)}}`;
  if (o['Fn::GetAtt'] !== undefined) return `\${${(o['Fn::GetAtt'] as string[]).join('.')}}`;
  if (o['Fn::ImportValue'] !== undefined) return `\${import:${render(o['Fn::ImportValue'])}}`;
  return JSON.stringify(v);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
export const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

export function logicalId(stack: Stack, element: CfnElement): string {
  return stack.resolve(element.logicalId) as string;
}

/** The identity-policy statements attached to a role, as `action resource` pairs. */
export function permissionsOfRole(t: Template, roleId: string): string[] {
  return Object.values(resources(t, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .flatMap((st) => {
      expect(st.Effect).toBe('Allow');
      return list(st.Action).flatMap((a) => list(st.Resource).map((r) => `${a} ${render(r)}`));
    })
    .toSorted();
}

/** The role of a function, by the function's logical id. */
export function roleOfFunction(t: Template, fnId: string): string {
  const role = resources(t, 'AWS::Lambda::Function')[fnId]?.Properties.Role as { 'Fn::GetAtt': string[] } | undefined;
  const roleId = role?.['Fn::GetAtt'][0];
  if (!roleId) throw new Error(`no role for ${fnId}`);
  return roleId;
}

/**
 * Really bundles what `build` adds to a fresh app (local esbuild, as a deploy does) in a temporary
 * folder, and answers the one function asset it made; `cleanup` deletes the folder.
 */
export function bundleProbe(prefix: string, build: (stack: Stack) => void): { asset: string; cleanup: () => void } {
  process.env.CDK_VALIDATION = 'false';
  const outdir = mkdtempSync(join(tmpdir(), prefix));
  const app = new App({ outdir, context: { ...CDK_CONTEXT } });
  build(new Stack(app, 'BundleProbe'));
  app.synth();
  const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.') && existsSync(join(outdir, d, 'index.mjs')));
  expect(assets).toHaveLength(1);
  return { asset: join(outdir, assets[0] as string), cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}
