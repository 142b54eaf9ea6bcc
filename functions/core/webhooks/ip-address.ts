// Which network an IP address belongs to, for the webhooks' SSRF rules. Pure parsing (no node:net),
// so the same rules run at registration (core) and at delivery (the sender, on what DNS answered).

/** Where an address leads. Only `public` is a destination a webhook may reach on AWS. */
export type AddressScope = 'public' | 'loopback' | 'private' | 'link_local' | 'unique_local' | 'reserved';

/** An IPv4 address in dotted decimal (what URL and DNS hand over), as its four bytes; undefined otherwise. */
export function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : Number.NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined;
}

/** An IPv6 address (with `::` and an optional dotted IPv4 tail; no zone), as its sixteen bytes. */
export function parseIpv6(text: string): number[] | undefined {
  if (text.includes('%') || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number)];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0] as string);
  const right = groups(halves[1] ?? '');
  if ([...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const hex = (g: string) => Number.parseInt(g, 16);
  const missing = 8 - left.length - right.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const words = [...left.map(hex), ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right.map(hex), ...tail];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

type Range = [prefix: number[], bits: number, scope: Exclude<AddressScope, 'public'>];

// IANA's special-purpose registries (RFC 6890 and successors): nothing here is a webhook receiver.
const V4_RANGES: Range[] = [
  [[0, 0, 0, 0], 8, 'reserved'], // "this network"
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'private'], // carrier-grade NAT
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link_local'], // includes the instance metadata service, 169.254.169.254
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'],
  [[192, 0, 2, 0], 24, 'reserved'],
  [[192, 88, 99, 0], 24, 'reserved'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'reserved'],
  [[198, 51, 100, 0], 24, 'reserved'],
  [[203, 0, 113, 0], 24, 'reserved'],
  [[224, 0, 0, 0], 4, 'reserved'], // multicast
  [[240, 0, 0, 0], 4, 'reserved'], // future use and broadcast
];

const V6_RANGES: Range[] = [
  [[...Array(15).fill(0), 1], 128, 'loopback'],
  [Array(16).fill(0), 96, 'reserved'], // unspecified and the deprecated IPv4-compatible form
  [[0x01, 0x00], 64, 'reserved'], // discard-only
  [[0x20, 0x01, 0x00, 0x00], 32, 'reserved'], // Teredo
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'reserved'], // documentation
  [[0xfc], 7, 'unique_local'], // includes the instance metadata service's fd00:ec2::254
  [[0xfe, 0x80], 10, 'link_local'],
  [[0xfe, 0xc0], 10, 'reserved'], // deprecated site-local
  [[0xff], 8, 'reserved'], // multicast
];

function inRange(bytes: number[], [prefix, bits]: Range): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if (((bytes[bit >> 3] ?? 0) & mask) !== ((prefix[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
}

const scopeIn = (bytes: number[], ranges: Range[]): AddressScope => ranges.find((r) => inRange(bytes, r))?.[2] ?? 'public';

/** The IPv4 address an IPv6 one carries and routes to (mapped, NAT64, 6to4), if any. */
function embeddedIpv4(bytes: number[]): number[] | undefined {
  const startsWith = (prefix: number[]) => prefix.every((b, i) => bytes[i] === b);
  if (startsWith([...Array(10).fill(0), 0xff, 0xff])) return bytes.slice(12); // ::ffff:a.b.c.d
  if (startsWith([0x00, 0x64, 0xff, 0x9b, ...Array(8).fill(0)])) return bytes.slice(12); // 64:ff9b::a.b.c.d
  if (startsWith([0x20, 0x02])) return bytes.slice(2, 6); // 2002:aabb:ccdd::
  return undefined;
}

/** The scope of an address written as text (IPv4 dotted, or IPv6 with or without brackets); undefined when it is not one. */
export function addressScope(text: string): AddressScope | undefined {
  const v4 = parseIpv4(text);
  if (v4) return scopeIn(v4, V4_RANGES);
  const v6 = parseIpv6(text.replace(/^\[(.*)\]$/, '$1'));
  if (!v6) return undefined;
  const carried = embeddedIpv4(v6);
  return carried ? scopeIn(carried, V4_RANGES) : scopeIn(v6, V6_RANGES);
}
