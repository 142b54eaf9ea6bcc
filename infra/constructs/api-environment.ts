import type { ApiEnvInput } from '../../functions/shared/env.ts';
import type { Run } from '../naming.ts';
import type { DataStack } from '../stacks/data-stack.ts';
import type { LambdaEnvironment } from './broker-function.ts';

/**
 * The environment of a function wired like the API's (functions/shared/composition.ts): the API
 * groups, the reconciler and the lease-expiry function. One place, so they cannot disagree.
 */
export function apiEnvironment(
  stage: string,
  data: DataStack,
  publicUrl: string,
  machineArns: Record<Run, string>,
): LambdaEnvironment<ApiEnvInput> {
  return {
    STAGE: stage,
    TABLE_NAME: data.tableName,
    PUBLIC_URL: publicUrl,
    CURSOR_KEY_SECRET_ID: data.secrets.cursorKeyName,
    CREDENTIAL_SECRET_PREFIX: data.secrets.credentialPrefix,
    PROVISION_STATE_MACHINE_ARN: machineArns.provision,
    TEARDOWN_STATE_MACHINE_ARN: machineArns.teardown,
  };
}
