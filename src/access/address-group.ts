import { isIPv6 } from 'node:net';

/**
 * The source a client address counts as, for throttling and for aggregating the audit log: an
 * IPv4 address itself (also when written IPv4-mapped, `::ffff:192.0.2.1`), an IPv6 address its
 * /64 (one host usually holds a whole /64, so counting single IPv6 addresses would let it rotate
 * through billions of them).
 */
export function addressGroup(address: string): string {
  const plain = address.replace(/%.*$/, '');
  if (!isIPv6(plain)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped) return mapped[1]!;
  return `${hextets(plain).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, as lowercase hex without leading zeros. */
function hextets(address: string): string[] {
  // A trailing dotted quad is two groups.
  const withoutQuad = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    [((Number(a) << 8) | Number(b)).toString(16), ((Number(c) << 8) | Number(d)).toString(16)].join(':'),
  );
  const [head, tail] = withoutQuad.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((h) => parseInt(h, 16).toString(16));
}
