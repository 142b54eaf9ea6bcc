import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';

/** The alias the embedded stack names its access-token key by: the KMS state keeps both, so a restart finds the same key. */
export const LOCAL_TOKEN_KEY_ALIAS = 'alias/plexsphere-local-token-signing';

/**
 * The access-token key of the embedded stack, as the CDK app creates one per stage: made on the
 * first start, found again by its alias on every later one, so tokens outlive a restart.
 */
export async function ensureSigningKey(url: string, alias = LOCAL_TOKEN_KEY_ALIAS): Promise<string> {
  const client = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    try {
      const found = await client.send(new DescribeKeyCommand({ KeyId: alias }));
      if (found.KeyMetadata?.Arn) return found.KeyMetadata.Arn;
    } catch (err) {
      if ((err as { name?: unknown }).name !== 'NotFoundException') throw err;
    }
    const created = await client.send(
      new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Description: 'plexsphere local access-token signing key' }),
    );
    const arn = created.KeyMetadata?.Arn;
    if (!arn) throw new Error('the local KMS created a key without an ARN');
    await client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: arn }));
    return arn;
  } finally {
    client.destroy();
  }
}
