// IPv4 CIDR arithmetic for mesh addresses. Addresses are plain numbers (0 … 2^32-1), not int32:
// bitwise operators would turn the upper half negative.

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** An IPv4 CIDR's network address and how many host addresses it holds (network and broadcast excluded). */
export function cidrHosts(cidr: string): { network: number; hosts: number } {
  const [addr, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  const base = addr === undefined ? undefined : parseIpv4(addr);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  // /31 and /32 have no room once network and broadcast are skipped.
  return { network, hosts: Math.max(0, size - 2) };
}

/** The index-th host address of a CIDR (1 = the first after the network address); undefined past the last. */
export function meshAddress(cidr: string, index: number): string | undefined {
  const { network, hosts } = cidrHosts(cidr);
  if (!Number.isInteger(index) || index < 1 || index > hosts) return undefined;
  return formatIpv4(network + index);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const value = parseIpv4(ip);
  const { network, hosts } = cidrHosts(cidr);
  return value !== undefined && value > network && value <= network + hosts;
}
