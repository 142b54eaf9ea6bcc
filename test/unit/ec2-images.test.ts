import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { Ec2Substrate, type SubstrateTarget } from '../../functions/adapters/aws/ec2-substrate.ts';
import { SubstrateRejectedError } from '../../functions/core/substrate.ts';
import { LOCAL_IMAGE_OWNER, LOCAL_NODE_AMI, STRANGER_AMI, STRANGER_OWNER } from '../../local/ec2/images.ts';
import { client, DEMO_KEY, emulator, rejection, useEc2Emulator } from '../support/ec2-emulator.ts';

// DescribeImages on the local EC2 emulator, through the substrate adapter's imageOwner: what the
// substrate step asks before it launches an AMI a Resource chose.

useEc2Emulator();

const target = (accessKeyId = DEMO_KEY): SubstrateTarget => ({
  region: 'us-east-1',
  endpoint: emulator.url,
  credentials: { accessKeyId, secretAccessKey: 'anything' },
});

describe('the EC2 emulator answers DescribeImages for the images it knows', () => {
  it("names each known image's owner", async () => {
    const substrate = new Ec2Substrate();
    expect(await substrate.imageOwner(target(), LOCAL_NODE_AMI)).toBe(LOCAL_IMAGE_OWNER);
    expect(await substrate.imageOwner(target(), 'ami-plexsphere-cloudless')).toBe(LOCAL_IMAGE_OWNER);
    expect(await substrate.imageOwner(target(), STRANGER_AMI)).toBe(STRANGER_OWNER);
  });

  it('knows no owner of an image it does not have, well-formed or not', async () => {
    const substrate = new Ec2Substrate();
    expect(await substrate.imageOwner(target(), 'ami-0123456789abcdef0')).toBeUndefined();
    expect(await substrate.imageOwner(target(), 'not-an-ami')).toBeUndefined();
    const error = await rejection(client.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })));
    expect(error).toMatchObject({ name: 'InvalidAMIID.NotFound' });
  });

  it('lists by owner, "self" being the account it stands in for', async () => {
    const own = await client.send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(own.Images?.map((i) => [i.ImageId, i.OwnerId, i.State])).toEqual([
      ['ami-plexsphere-cloudless', LOCAL_IMAGE_OWNER, 'available'],
      [LOCAL_NODE_AMI, LOCAL_IMAGE_OWNER, 'available'],
    ]);
    const theirs = await client.send(new DescribeImagesCommand({ Owners: [STRANGER_OWNER] }));
    expect(theirs.Images?.map((i) => i.ImageId)).toEqual([STRANGER_AMI]);
  });

  it("still accepts the demo credential's keys only", async () => {
    const error = await rejection(new Ec2Substrate().imageOwner(target('AKIANOTKNOWNANYWHERE'), LOCAL_NODE_AMI));
    expect(error).toBeInstanceOf(SubstrateRejectedError);
    expect(error).toMatchObject({ code: 'substrate_auth_failed' });
  });
});
