/** The user name and password of a Basic Authorization header, or null. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * A Basic header that carries no credentials at all (`Basic`, `Basic Og==`, i.e. ":"): what
 * containers/image (skopeo, podman) answers a Basic challenge with when it has nothing to send.
 * It means nobody, so the caller gets "authentication required", not a complaint about the scheme.
 */
export function isEmptyBasic(header: string | undefined): boolean {
  if (!header || !/^basic(\s|$)/i.test(header)) return false;
  const decoded = Buffer.from(header.slice(5).trim(), 'base64').toString('utf8');
  return decoded === '' || decoded === ':';
}
