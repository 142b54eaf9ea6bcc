import type { EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { Ec2Substrate, MAX_CACHED_CLIENTS, type SubstrateTarget } from '../../functions/adapters/aws/ec2-substrate.ts';

// The substrate adapter keeps one EC2 client per credential version (and region and endpoint), a
// bounded number of them: two credentials that share an access key id never share a client.

/** Clients that answer every call with an empty page, recording what they were made with and whether they were destroyed. */
function recordingFactory() {
  const made: Array<{ config: EC2ClientConfig; destroyed: boolean }> = [];
  const newClient = (config: EC2ClientConfig): EC2Client => {
    const entry = { config, destroyed: false };
    made.push(entry);
    return {
      send: async () => ({ Reservations: [] }),
      destroy: () => {
        entry.destroyed = true;
      },
    } as Partial<EC2Client> as EC2Client;
  };
  const live = () => made.filter((m) => !m.destroyed).length;
  return { made, live, newClient };
}

const target = (arn: string, secretAccessKey: string, accessKeyId = 'AKIASAMEKEY000000000'): SubstrateTarget => ({
  region: 'eu-west-1',
  secretRef: { arn, versionId: 'v1' },
  credentials: { accessKeyId, secretAccessKey },
});

describe('the EC2 client cache', () => {
  it('gives two credentials with the same access key id but different secrets a client each, each with its own secret', async () => {
    const f = recordingFactory();
    const substrate = new Ec2Substrate({ newClient: f.newClient });
    await substrate.findByResource(target('arn:secret:a', 'secret-a'), 'r-1');
    await substrate.findByResource(target('arn:secret:b', 'secret-b'), 'r-1');
    await substrate.findByResource(target('arn:secret:a', 'secret-a'), 'r-1');
    expect(f.made.map((m) => m.config.credentials)).toEqual([
      { accessKeyId: 'AKIASAMEKEY000000000', secretAccessKey: 'secret-a' },
      { accessKeyId: 'AKIASAMEKEY000000000', secretAccessKey: 'secret-b' },
    ]);
  });

  it('tells targets without a credential version apart by their keys', async () => {
    const f = recordingFactory();
    const substrate = new Ec2Substrate({ newClient: f.newClient });
    const bare = (secretAccessKey: string): SubstrateTarget => ({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIASAMEKEY000000000', secretAccessKey } });
    await substrate.findByResource(bare('secret-a'), 'r-1');
    await substrate.findByResource(bare('secret-b'), 'r-1');
    await substrate.findByResource(bare('secret-a'), 'r-1');
    expect(f.made).toHaveLength(2);
  });

  it(`never holds more than ${MAX_CACHED_CLIENTS} clients, destroying the least recently used`, async () => {
    const f = recordingFactory();
    const substrate = new Ec2Substrate({ newClient: f.newClient });
    const first = target('arn:secret:0', 's-0');
    await substrate.findByResource(first, 'r');
    for (let i = 1; i < MAX_CACHED_CLIENTS + 10; i++) {
      await substrate.findByResource(target(`arn:secret:${i}`, `s-${i}`), 'r');
      // Kept in use, the first one is never the least recently used.
      await substrate.findByResource(first, 'r');
      expect(f.live()).toBeLessThanOrEqual(MAX_CACHED_CLIENTS);
    }
    expect(f.made).toHaveLength(MAX_CACHED_CLIENTS + 10);
    expect(f.live()).toBe(MAX_CACHED_CLIENTS);
    expect(f.made[0]?.destroyed).toBe(false);
    expect(f.made[1]?.destroyed).toBe(true);
    // An evicted credential gets a new client when it comes back.
    await substrate.findByResource(target('arn:secret:1', 's-1'), 'r');
    expect(f.made).toHaveLength(MAX_CACHED_CLIENTS + 11);
    expect(f.live()).toBe(MAX_CACHED_CLIENTS);
  });
});
