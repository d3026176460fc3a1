import { parseDigest } from '../oci/index.js';

/**
 * The registry:2 (distribution 2.x) storage layout, under its root directory:
 *
 *   docker/registry/v2/blobs/<alg>/<2 hex>/<hex>/data                           blob bytes
 *   docker/registry/v2/repositories/<name>/_layers/<alg>/<hex>/link             blob linked into <name>
 *   docker/registry/v2/repositories/<name>/_manifests/revisions/<alg>/<hex>/link  manifest in <name>
 *   docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/current/link   the tag's digest
 *
 * A repository name may have several segments; its own directories are the ones starting with '_'
 * (`_uploads`, tag `index/` histories and anything else there are not content and are ignored).
 */
export const v2Root = 'docker/registry/v2';
export const repositoriesRoot = `${v2Root}/repositories`;

export function blobDataPath(digest: string): string {
  const parsed = parseDigest(digest);
  if (!parsed) throw new Error(`not a digest: ${digest}`);
  return `${v2Root}/blobs/${parsed.algorithm}/${parsed.hex.slice(0, 2)}/${parsed.hex}/data`;
}

export function tagLinkPath(repository: string, tag: string): string {
  return `${repositoriesRoot}/${repository}/_manifests/tags/${tag}/current/link`;
}

/** What one file under `repositories/` says. */
export type LinkEntry =
  | { repository: string; kind: 'layer'; digest: string }
  | { repository: string; kind: 'revision'; digest: string }
  | { repository: string; kind: 'tag'; tag: string }
  | { repository: string; kind: 'invalid'; path: string; reason: string };

/**
 * Read a path (relative to the storage root) as a link of the layout; null for anything that is
 * not a link to import (uploads, tag histories, files outside repositories). The digest of a layer
 * or revision link is the one its path names, as registry:2 finds them.
 */
export function parseLinkPath(path: string): LinkEntry | null {
  if (!path.startsWith(`${repositoriesRoot}/`)) return null;
  const segments = path.slice(repositoriesRoot.length + 1).split('/');
  const own = segments.findIndex((s) => s.startsWith('_'));
  if (own <= 0) return null;
  const repository = segments.slice(0, own).join('/');
  const rest = segments.slice(own);
  const digestAt = (alg: string | undefined, hex: string | undefined) => {
    const digest = `${alg}:${hex}`;
    return parseDigest(digest) ? digest : null;
  };
  const [section, a, b, c, d] = rest;
  if (section === '_layers' && rest.length === 4 && c === 'link') {
    const digest = digestAt(a, b);
    return digest
      ? { repository, kind: 'layer', digest }
      : { repository, kind: 'invalid', path, reason: 'not a digest' };
  }
  if (section !== '_manifests') return null;
  if (a === 'revisions' && rest.length === 5 && d === 'link') {
    const digest = digestAt(b, c);
    return digest
      ? { repository, kind: 'revision', digest }
      : { repository, kind: 'invalid', path, reason: 'not a digest' };
  }
  if (a === 'tags' && b !== undefined && rest.length === 5 && c === 'current' && d === 'link') {
    return { repository, kind: 'tag', tag: b };
  }
  return null;
}
