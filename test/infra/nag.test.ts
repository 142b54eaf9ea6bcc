import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { synth } from './synth.ts';

describe.each(['dev', 'prod'])('cdk-nag AwsSolutions, stage %s', (stage) => {
  it('reports no unacknowledged finding', () => {
    let error: unknown;
    try {
      synth(stage, (app) => Validations.of(app).addPlugins(new AwsSolutionsChecks(app)));
    } catch (err) {
      error = err;
    }
    expect(error === undefined ? '' : String((error as Error).message)).toBe('');
  });
});
