import { ArnFormat, Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { credentialSecretPrefix, secretName } from '../naming.ts';

/** A principal that lives in a stack (a function, a role): the ARN is formatted there. */
export type SecretGrantee = IGrantable & IConstruct;

// The vault adapter reads with GetSecretValue alone; DescribeSecret is only for pinning a credential.
const READ = ['secretsmanager:GetSecretValue'];
const CREATE = ['secretsmanager:CreateSecret'];

/**
 * The Secrets Manager names of one stage. No stack owns these secrets: the functions create them
 * (each key once, conditionally, on first use; one secret per cloud credential), so a stack can only
 * grant access by name. Secrets Manager appends `-` and six characters to a secret's name in its
 * ARN: a single key is matched as `<name>-??????`, the credentials as everything under their prefix.
 */
export class StageSecrets {
  /** CURSOR_KEY_SECRET_ID of the API functions: the list cursors' HMAC key (access tokens are KMS-signed: signing-key.ts). */
  readonly cursorKeyName: string;
  /** CREDENTIAL_SECRET_PREFIX of the API functions. */
  readonly credentialPrefix: string;
  /** The HMAC key of bootstrap tokens: the minter derives the name from STAGE (test/infra holds them equal). */
  readonly bootstrapTokenKeyName: string;
  /** The node-signing key handed to registered nodes: node-secrets derives the name from STAGE. */
  readonly nodeSigningKeyName: string;

  constructor(readonly stage: string) {
    this.cursorKeyName = secretName(stage, 'cursor-key');
    this.credentialPrefix = credentialSecretPrefix(stage);
    this.bootstrapTokenKeyName = secretName(stage, 'bootstrap-token-key');
    this.nodeSigningKeyName = secretName(stage, 'node-signing-key');
  }

  /**
   * Every function that seals list cursors loads the cursor key, and whichever of them runs first on
   * a new stage creates it (conditionally: a racing loser re-reads).
   */
  grantCursorKeyLoadOrCreate(grantee: SecretGrantee): Grant {
    return this.grant(grantee, [...READ, ...CREATE], `${this.cursorKeyName}-??????`);
  }

  /** The substrate steps mint bootstrap tokens with this key, creating it on first use. */
  grantBootstrapTokenKeyLoadOrCreate(grantee: SecretGrantee): Grant {
    return this.grant(grantee, [...READ, ...CREATE], `${this.bootstrapTokenKeyName}-??????`);
  }

  /** The nodes group hands out the node-signing key's public half, creating the key on first use. */
  grantNodeSigningKeyLoadOrCreate(grantee: SecretGrantee): Grant {
    return this.grant(grantee, [...READ, ...CREATE], `${this.nodeSigningKeyName}-??????`);
  }

  /** The catalog vaults a credential's material when it is registered; it never reads it back. */
  grantCredentialCreate(grantee: SecretGrantee): Grant {
    // DeleteSecret: a credential whose metadata could not be written takes its material back out.
    return this.grant(grantee, [...CREATE, 'secretsmanager:DeleteSecret'], `${this.credentialPrefix}*`);
  }

  /** Approving an assignment pins the credential's current version (DescribeSecret, no value). */
  grantCredentialDescribe(grantee: SecretGrantee): Grant {
    return this.grant(grantee, ['secretsmanager:DescribeSecret'], `${this.credentialPrefix}*`);
  }

  /** The substrate steps resolve a credential handle (ARN and pinned version) to its material. */
  grantCredentialRead(grantee: SecretGrantee): Grant {
    return this.grant(grantee, READ, `${this.credentialPrefix}*`);
  }

  private grant(grantee: SecretGrantee, actions: string[], resourceName: string): Grant {
    // The ARN is formatted in the grantee's stack, so granting never creates a cross-stack export.
    const stack = Stack.of(grantee);
    const arn = stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    return Grant.addToPrincipal({ grantee, actions, resourceArns: [arn] });
  }
}
