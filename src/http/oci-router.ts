/** What a /v2 path addresses. Repository names contain slashes, so the path is matched from its end. */
export type OciTarget =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'none' };

const patterns: [RegExp, (m: RegExpExecArray) => OciTarget][] = [
  [/^(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]! })],
  [/^(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1]! })],
  [/^(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, id: m[2]! })],
  [/^(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: m[2]! })],
  // Last: anything else under a repository's uploads (a slash in the id, a trailing slash) names an
  // upload that cannot exist, which the client is told as such, not as an unknown repository.
  [/^(.+)\/blobs\/uploads\/(.+)$/, (m) => ({ kind: 'upload', name: m[1]!, id: m[2]! })],
];

/** Match the part of a path after `/v2/` (already percent-decoded, without the query). */
export function matchOciPath(rest: string): OciTarget {
  if (rest === '') return { kind: 'base' };
  if (rest === '_catalog') return { kind: 'catalog' };
  for (const [pattern, build] of patterns) {
    const m = pattern.exec(rest);
    if (m) return build(m);
  }
  return { kind: 'none' };
}

/**
 * What a `/v2` path (without its query) addresses, percent-decoded once: the handler, the access
 * guard and the client limits all read it here, so all see the same name. Undefined when the
 * path's percent-encoding is malformed.
 */
export function ociTargetOf(path: string): OciTarget | undefined {
  let rest: string;
  try {
    rest = decodeURIComponent(path.replace(/^\/v2\/?/, ''));
  } catch {
    return undefined;
  }
  return matchOciPath(rest);
}

/** The methods each kind of path answers. */
export const allowedMethods: Record<OciTarget['kind'], readonly string[]> = {
  base: ['GET', 'HEAD'],
  catalog: ['GET'],
  manifest: ['GET', 'HEAD', 'PUT', 'DELETE'],
  blob: ['GET', 'HEAD', 'DELETE'],
  uploads: ['POST'],
  upload: ['GET', 'PATCH', 'PUT', 'DELETE'],
  tags: ['GET'],
  referrers: ['GET'],
  none: [],
};
