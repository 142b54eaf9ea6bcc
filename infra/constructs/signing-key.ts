import { RemovalPolicy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, Grant, type IGrantable, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import * as z from 'zod';

/**
 * The live access-token keys of a stage, by generation name: the one that signs, and at most one
 * standby (the next key before a switch, the previous one after). From the context value
 * `accessTokenKeys`: `-c accessTokenKeys=<active>[,<standby>]`, default `1` (README: key rotation).
 */
export interface AccessTokenKeyConfig {
  active: string;
  standby?: string | undefined;
}

const Generation = z.string().regex(/^[a-z0-9-]{1,16}$/);

export function accessTokenKeyConfig(scope: Construct): AccessTokenKeyConfig {
  const raw: unknown = scope.node.tryGetContext('accessTokenKeys') ?? '1';
  const [active, standby, ...rest] = String(raw)
    .split(',')
    .map((s) => s.trim());
  const parsed = z.object({ active: Generation, standby: Generation.optional() }).safeParse({ active, standby });
  if (!parsed.success || rest.length > 0 || (standby !== undefined && standby === active)) {
    throw new Error(
      `Invalid accessTokenKeys ${JSON.stringify(raw)}: <active>[,<standby>], generation names of [a-z0-9-], two different ones at most.`,
    );
  }
  return parsed.data;
}

/** The alias a generation's key is named by: the functions are configured with it, never with a key ARN. */
export function accessTokenKeyAlias(stage: string, generation: string): string {
  return `alias/plexsphere-${stage}-access-token-${generation}`;
}

/** A function (NodejsFunction) that is told where the keys are and granted their use. */
export type TokenKeyUser = IGrantable & { readonly role?: IRole | undefined; addEnvironment(name: string, value: string): unknown };

const VERIFY = ['kms:GetPublicKey'];
const SIGN = ['kms:Sign', 'kms:GetPublicKey'];

/**
 * The asymmetric KMS keys (ECC_NIST_P256, SIGN_VERIFY) that sign access tokens. The private halves
 * never leave KMS: only the auth group may kms:Sign. Every other group verifies tokens with the
 * public keys, and gets kms:GetPublicKey only, on these keys only. Why GetPublicKey rather than a
 * JWKS the auth group publishes (a secret or parameter): a published copy is one more thing that can
 * be stale or written by the wrong hand, while a public key read from KMS is the key itself, and the
 * grant cannot sign. Kept on removal: a dropped key is scheduled for deletion by hand, after the
 * tokens it signed have expired.
 */
export class AccessTokenKeys extends Construct {
  readonly config: AccessTokenKeyConfig;
  readonly keys: Key[];
  private readonly aliases: Alias[] = [];
  private signer?: IRole;

  constructor(
    scope: Construct,
    id: string,
    readonly stage: string,
  ) {
    super(scope, id);
    this.config = accessTokenKeyConfig(this);
    this.keys = [this.config.active, ...(this.config.standby ? [this.config.standby] : [])].map((generation) => {
      // The construct id is the generation's name, so a key keeps its identity as it moves from standby to active and back.
      const key = new Key(this, `Key-${generation}`, {
        keySpec: KeySpec.ECC_NIST_P256,
        keyUsage: KeyUsage.SIGN_VERIFY,
        description: `plexsphere ${stage}: access-token signing key, generation ${generation}`,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.aliases.push(new Alias(this, `Alias-${generation}`, { aliasName: accessTokenKeyAlias(stage, generation), targetKey: key }));
      return key;
    });
  }

  /**
   * The functions' configuration: keys by alias. The alias construct's name is a reference (with
   * the aliasNameRef feature flag), so CloudFormation creates a function after the aliases it names.
   */
  environment(): { ACCESS_TOKEN_KEY_ID: string; ACCESS_TOKEN_STANDBY_KEY_ID?: string } {
    const [active, standby] = this.aliases;
    if (!active) throw new Error('No access-token key alias.');
    return { ACCESS_TOKEN_KEY_ID: active.aliasName, ...(standby && { ACCESS_TOKEN_STANDBY_KEY_ID: standby.aliasName }) };
  }

  /** A group that verifies access tokens: the public keys only, and where they are. */
  grantVerify(fn: TokenKeyUser): Grant {
    return this.grant(fn, VERIFY);
  }

  /**
   * The auth group: signs with the live keys (only the active one is used) and reads their public keys.
   * The key policy denies kms:Sign to every other principal: the default key policy lets the account
   * delegate kms:* through IAM, so without the deny any role or user with `kms:Sign` on `*` (an admin,
   * a CI role) could mint access tokens. Administration stays with the account. No cycle: the key
   * policy names the role, and the role's grant is a separate policy resource that names the key.
   */
  grantSign(fn: TokenKeyUser): Grant {
    if (this.signer) throw new Error('Only one function may sign access tokens.');
    if (!fn.role) throw new Error('The signing function needs its own role.');
    this.signer = fn.role;
    for (const key of this.keys) {
      key.addToResourcePolicy(
        new PolicyStatement({
          sid: 'OnlyTheAuthFunctionSigns',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['kms:Sign'],
          resources: ['*'],
          conditions: { StringNotEquals: { 'aws:PrincipalArn': fn.role.roleArn } },
        }),
      );
    }
    return this.grant(fn, SIGN);
  }

  /** Tells `fn` where the keys are and lets it take `actions` on them. */
  private grant(fn: TokenKeyUser, actions: string[]): Grant {
    for (const [name, value] of Object.entries(this.environment())) fn.addEnvironment(name, value);
    return Grant.addToPrincipal({ grantee: fn, actions, resourceArns: this.keys.map((k) => k.keyArn) });
  }
}
