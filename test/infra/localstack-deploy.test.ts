import { createRequire } from 'node:module';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { stageOf } from '../../infra/plexsphere.ts';
import { deployCommands, failureReason, localStackEnv, optionsFrom, seedEnv, stacksOf } from '../../scripts/localstack-deploy.ts';

// cdklocal's own environment check, as `npx cdklocal` runs it before anything else.
const { configureEnvironment } = createRequire(import.meta.url)('aws-cdk-local/src/index.js') as {
  configureEnvironment(env: Record<string, string | undefined>, allowList: string): void;
};

describe('npm run localstack:deploy', () => {
  const opts = optionsFrom({});

  it('bootstraps, synthesizes once, and deploys each stack of one valid stage in order, unattended', () => {
    expect(stageOf(new App({ context: { stage: opts.stage } }))).toBe(opts.stage);
    const { bootstrap, synth, deploy } = deployCommands(opts);
    expect(bootstrap.slice(0, 3)).toEqual(['npx', 'cdklocal', 'bootstrap']);
    expect(bootstrap).toContain(`aws://000000000000/${opts.region}`);
    for (const cmd of [bootstrap, synth]) expect(cmd.join(' ')).toContain(`--context stage=${opts.stage}`);
    expect(stacksOf(opts.stage)).toEqual([
      `plexsphere-${opts.stage}-data`,
      `plexsphere-${opts.stage}-api`,
      `plexsphere-${opts.stage}-workflows`,
    ]);
    const data = deploy(`plexsphere-${opts.stage}-data`).join(' ');
    expect(data).toMatch(/^npx cdklocal deploy plexsphere-localstack-data --app \S+cdk\.out --exclusively/);
    expect(data).toContain('--require-approval never');
  });

  it('passes cdklocal’s environment check and keeps the region through its AWS_* filter', () => {
    const custom = optionsFrom({ AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_REGION: 'eu-west-1' });
    const env: Record<string, string | undefined> = { PATH: '/bin', AWS_PROFILE: 'someone-elses', ...localStackEnv(custom) };
    configureEnvironment(env, env.AWS_ENVAR_ALLOWLIST ?? '');
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL: 'http://localhost:4566',
      // An IP: the CLI's S3 client addresses the asset bucket by path, with no wildcard DNS.
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566',
      // The template URL CloudFormation reads names LocalStack's S3 host.
      AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION: 'http://s3.localhost.localstack.cloud:4566',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
    });
    expect(env.AWS_PROFILE).toBeUndefined();
    // Without the S3 endpoint, cdklocal refuses to start at all.
    expect(() => configureEnvironment({ AWS_ENDPOINT_URL: 'http://localhost:4566' }, '')).toThrow(/AWS_ENDPOINT_URL_S3/);
  });

  it('points the seed at the stage, and the demo Cloud’s EC2 at the one endpoint', () => {
    const custom = optionsFrom({
      AWS_ENDPOINT_URL: 'http://ls.internal:4566',
      AWS_ENDPOINT_URL_S3: 'http://s3.ls.internal:4566',
      PLEXSPHERE_STAGE: 'ls-2',
    });
    expect(localStackEnv(custom)).toMatchObject({ AWS_ENDPOINT_URL_S3: 'http://s3.ls.internal:4566' });
    expect(seedEnv(custom)).toMatchObject({
      STAGE: 'ls-2',
      CREDENTIAL_SECRET_PREFIX: 'plexsphere/ls-2/credentials/',
      LOCAL_EC2_ENDPOINT: 'http://ls.internal:4566',
    });
  });

  it('says why a deploy failed, naming the resources the message mentions with their types', () => {
    const template = { Resources: { HttpApiF5A9A8A7: { Type: 'AWS::ApiGatewayV2::Api' }, Fn: { Type: 'AWS::Lambda::Function' } } };
    const output = [
      'plexsphere-x-api: deploying... [1/1]',
      '❌  plexsphere-x-api failed to deploy',
      '‣ ValidationError: Template error: instance of Fn::GetAtt references undefined resource HttpApiF5A9A8A7',
    ].join('\n');
    expect(failureReason(output, template)).toBe(
      'the endpoint did not create AWS::ApiGatewayV2::Api (HttpApiF5A9A8A7), which the stack refers to (ValidationError: Template error: instance of Fn::GetAtt references undefined resource HttpApiF5A9A8A7)',
    );
    expect(failureReason('❌  s failed to deploy\nAccessDenied error: no', template)).toBe('AccessDenied error: no');
  });
});
