// The images the EC2 emulator knows, for DescribeImages: the cloudless image every local machine
// boots, an AMI-id shaped copy of it (what a Resource's `ami` parameter may name), and an image of
// another account (what an owner allowlist must refuse). RunInstances still takes any image id.
import { OWNER_ID } from './model.ts';
import { scalarList, structList } from './params.ts';
import { fail, itemSet, leaf, type Params } from './query-protocol.ts';

export interface LocalImage {
  imageId: string;
  ownerId: string;
  name: string;
}

/** Owns the emulator's own images, as a private AMI's owner is the account that made it. */
export const LOCAL_IMAGE_OWNER = OWNER_ID;
export const LOCAL_NODE_AMI = 'ami-0c10d1e55c10d1e55';
/** An image of an account no blueprint vouches for. */
export const STRANGER_AMI = 'ami-0badc0ffee0badc0f';
export const STRANGER_OWNER = '111111111111';

export const LOCAL_IMAGES: readonly LocalImage[] = [
  { imageId: 'ami-plexsphere-cloudless', ownerId: LOCAL_IMAGE_OWNER, name: 'plexsphere-cloudless' },
  { imageId: LOCAL_NODE_AMI, ownerId: LOCAL_IMAGE_OWNER, name: 'plexsphere-local-node' },
  { imageId: STRANGER_AMI, ownerId: STRANGER_OWNER, name: 'community-image' },
];

const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/** The owner aliases DescribeImages takes beside account ids. */
const OWNER_ALIASES: Record<string, string> = { self: LOCAL_IMAGE_OWNER, amazon: '137112412989' };
const CREATED = '2026-01-01T00:00:00.000Z';

function imageXml(image: LocalImage): string {
  return [
    leaf('imageId', image.imageId),
    leaf('imageLocation', `${image.ownerId}/${image.name}`),
    leaf('imageState', 'available'),
    leaf('imageOwnerId', image.ownerId),
    leaf('creationDate', CREATED),
    leaf('isPublic', image.ownerId !== LOCAL_IMAGE_OWNER),
    leaf('architecture', 'x86_64'),
    leaf('imageType', 'machine'),
    leaf('name', image.name),
    leaf('rootDeviceType', 'ebs'),
    leaf('virtualizationType', 'hvm'),
    leaf('hypervisor', 'xen'),
    leaf('platformDetails', 'Linux/UNIX'),
  ].join('');
}

/** DescribeImages by ImageId and Owner, erring on an unknown or malformed id as AWS does. */
export function describeImages(params: Params, dryRun: () => void): string {
  if (structList(params, 'Filter').length > 0) fail('Unsupported', "The local EC2 emulator's DescribeImages takes ImageId and Owner only.");
  const ids = scalarList(params, 'ImageId');
  const owners = scalarList(params, 'Owner').map((o) => OWNER_ALIASES[o] ?? o);
  const malformed = ids.find((id) => !AMI_ID.test(id) && !LOCAL_IMAGES.some((i) => i.imageId === id));
  if (malformed) fail('InvalidAMIID.Malformed', `Invalid id: "${malformed}" (expecting "ami-...")`);
  const missing = ids.filter((id) => !LOCAL_IMAGES.some((i) => i.imageId === id));
  if (missing.length > 0) fail('InvalidAMIID.NotFound', `The image id '[${missing.join(', ')}]' does not exist`);
  dryRun();
  const images = LOCAL_IMAGES.filter((i) => (ids.length === 0 || ids.includes(i.imageId)) && (owners.length === 0 || owners.includes(i.ownerId)));
  return itemSet('imagesSet', images.map(imageXml));
}
