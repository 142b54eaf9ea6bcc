import { ArnFormat, Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** A principal that lives in a stack (a function, a role): the ARN is formatted there. */
export type SecretGrantee = IGrantable & IConstruct;

const READ = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];

/**
 * The Secrets Manager names of one stage. No stack owns these secrets: the functions create them
 * (the token-signing key once, conditionally, on first use; one secret per cloud credential), so a
 * stack can only grant access by name. Secrets Manager appends `-XXXXXX` to a secret's ARN, hence
 * the trailing wildcard.
 */
export class StageSecrets {
  /** SIGNING_KEY_SECRET_ID of the functions. */
  readonly signingKeyName: string;
  /** CREDENTIAL_SECRET_PREFIX of the functions. */
  readonly credentialPrefix: string;

  constructor(stage: string) {
    this.signingKeyName = `plexsphere/${stage}/token-signing-key`;
    this.credentialPrefix = `plexsphere/${stage}/credentials/`;
  }

  /** Every function verifies access tokens (and seals list cursors) with the signing key. */
  grantSigningKeyRead(grantee: SecretGrantee): Grant {
    return this.grant(grantee, READ, `${this.signingKeyName}*`);
  }

  /** Only the function that mints tokens creates (and rotates) the key. */
  grantSigningKeyWrite(grantee: SecretGrantee): Grant {
    return this.grant(grantee, ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue'], `${this.signingKeyName}*`);
  }

  /** The catalog vaults a credential's material when it is registered; it never reads it back. */
  grantCredentialCreate(grantee: SecretGrantee): Grant {
    return this.grant(grantee, ['secretsmanager:CreateSecret'], `${this.credentialPrefix}*`);
  }

  /** The substrate steps resolve a credential handle to its material. */
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
