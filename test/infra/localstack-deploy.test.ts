import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { stageOf } from '../../infra/plexsphere.ts';
import { deployCommands, localStackEnv, optionsFrom, seedEnv } from '../../scripts/localstack-deploy.ts';

describe('npm run localstack:deploy', () => {
  const opts = optionsFrom({});

  it('bootstraps and deploys every stack of one valid stage with cdklocal, unattended', () => {
    expect(stageOf(new App({ context: { stage: opts.stage } }))).toBe(opts.stage);
    const [bootstrap, deploy] = deployCommands(opts);
    expect(bootstrap?.slice(0, 3)).toEqual(['npx', 'cdklocal', 'bootstrap']);
    expect(bootstrap).toContain(`aws://000000000000/${opts.region}`);
    expect(deploy?.slice(0, 4)).toEqual(['npx', 'cdklocal', 'deploy', '--all']);
    expect(deploy?.join(' ')).toContain('--require-approval never');
    for (const cmd of [bootstrap, deploy]) expect(cmd?.join(' ')).toContain(`--context stage=${opts.stage}`);
  });

  it('points every SDK client and cdklocal at the one LocalStack endpoint, and the seed at the stage', () => {
    const custom = optionsFrom({ AWS_ENDPOINT_URL: 'http://ls.internal:4566', PLEXSPHERE_STAGE: 'ls-2', AWS_REGION: 'eu-west-1' });
    expect(localStackEnv(custom)).toMatchObject({
      AWS_ENDPOINT_URL: 'http://ls.internal:4566',
      AWS_REGION: 'eu-west-1',
      CDK_DEFAULT_REGION: 'eu-west-1',
    });
    expect(seedEnv(custom)).toMatchObject({
      STAGE: 'ls-2',
      CREDENTIAL_SECRET_PREFIX: 'plexsphere/ls-2/credentials/',
      // The demo Cloud's EC2 is LocalStack's.
      LOCAL_EC2_ENDPOINT: 'http://ls.internal:4566',
    });
  });
});
