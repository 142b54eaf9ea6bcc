import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Ec2Substrate } from '/work/main/functions/adapters/aws/ec2-substrate.ts';
import { startMoto } from '/work/main/test/support/moto.ts';
const moto = await startMoto();
try {
  const target = { region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
  const raw = new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: target.credentials });
  const imgs = await raw.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const first = imgs.Images?.[0];
  console.log('moto amazon image', first?.ImageId, first?.OwnerId, imgs.Images?.length);
  const s = new Ec2Substrate();
  console.log('owner', await s.imageOwner(target, first?.ImageId ?? ''));
  console.log('unknown', await s.imageOwner(target, 'ami-0123456789abcdef0'));
  console.log('malformed', await s.imageOwner(target, 'not-an-ami'));
  try { await raw.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })); } catch (e) { console.log('raw err', (e as Error).name, (e as Error).message); }
  try { await raw.send(new DescribeImagesCommand({ ImageIds: ['not-an-ami'] })); } catch (e) { console.log('raw err', (e as Error).name, (e as Error).message); }
} finally { await moto.close(); }
