import { BlockList, isIP } from 'node:net';

/**
 * Denied unless the operator says otherwise: link-local addresses (where clouds serve instance
 * metadata and its credentials, 169.254.169.254) and AWS's IPv6 metadata address. Loopback and
 * private ranges stay reachable: tests and on-premises registries live there.
 */
export const defaultDeniedDestinations: readonly string[] = Object.freeze([
  '169.254.0.0/16',
  'fe80::/10',
  'fd00:ec2::254',
]);

/** `10.0.0.0/8`, `fd00::/8` or a single address; why not, when it is neither. */
export function destinationRangeProblem(entry: string): string | undefined {
  const [address = '', bits, extra] = entry.trim().split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined)
    return `${JSON.stringify(entry)}: expected an address or a CIDR range`;
  if (bits === undefined) return undefined;
  const n = Number(bits);
  if (!/^\d{1,3}$/.test(bits) || n > (family === 4 ? 32 : 128))
    return `${JSON.stringify(entry)}: the prefix length must be 0-${family === 4 ? 32 : 128}`;
  return undefined;
}

function blockList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const problem = destinationRangeProblem(entry);
    if (problem) throw new Error(`outbound: ${problem}`);
    const [address, bits] = entry.trim().split('/') as [string, string | undefined];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/**
 * The address a connection really reaches: `::ffff:169.254.169.254` is 169.254.169.254, and the
 * unspecified addresses (`0.0.0.0/8`, `::`) reach this host, so they are checked as loopback.
 */
function reached(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1]! : address;
  if (/^0\.\d+\.\d+\.\d+$/.test(ip)) return '127.0.0.1';
  if (isIP(ip) === 6 && /^[0:]+$/.test(ip)) return '::1';
  return ip;
}

export interface DestinationRules {
  /** When not empty, only these ranges may be reached. */
  allow: readonly string[];
  /** Never reached, whatever `allow` says. */
  deny: readonly string[];
}

/**
 * Where the server may send requests, by address: every address a host name resolves to is
 * checked (see `Outbound`), so a name cannot smuggle a denied address past it.
 */
export class DestinationPolicy {
  private readonly allow: BlockList | undefined;
  private readonly deny: BlockList;

  constructor(rules: DestinationRules = { allow: [], deny: defaultDeniedDestinations }) {
    this.allow = rules.allow.length > 0 ? blockList(rules.allow) : undefined;
    this.deny = blockList(rules.deny);
  }

  /** Why `address` (an IP address) may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined {
    const given = address.replace(/^\[|\]$/g, '');
    const ip = reached(given);
    const family = isIP(ip);
    if (family === 0) return `${address} is not an IP address`;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (this.deny.check(ip, type)) return `${given} is denied by the outbound policy`;
    if (this.allow && !this.allow.check(ip, type)) return `${given} is not allowed by the outbound policy`;
    return undefined;
  }
}
