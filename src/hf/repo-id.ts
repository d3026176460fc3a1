import { createHash } from 'node:crypto';
import type { AssetKind } from '../assets/index.js';

/** The Hub repository types Arca serves: models at the root, datasets under `datasets/`. */
export type HubRepoType = 'model' | 'dataset';

/** A Hub repository id `<owner>/<name>`: the asset `<name>` of registry `<owner>`. */
export interface HubRepoId {
  type: HubRepoType;
  owner: string;
  name: string;
}

/** The asset kind a Hub repository type maps to. */
export function kindOf(type: HubRepoType): AssetKind {
  return type === 'model' ? 'model' : 'dataset';
}

/** `<owner>/<name>` as the Hub spells it. */
export function repoIdText(id: { owner: string; name: string }): string {
  return `${id.owner}/${id.name}`;
}

/** Hub commit ids are 40 lowercase hex digits. */
export const commitPattern = /^[0-9a-f]{40}$/;

/**
 * A version's commit id: the first 40 hex digits of its manifest digest. Stable (the manifest never
 * changes) and never reused (a version's manifest names the version and when it was made).
 */
export function commitOf(manifestDigest: string): string {
  return manifestDigest.slice(manifestDigest.indexOf(':') + 1).slice(0, 40);
}

/** The sha256 hex of a `sha256:` digest (the Hub's LFS oid and ETag of a file). */
export function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** A 40-hex object id for a folder of a commit (the Hub's tree entries carry one). */
export function folderOid(commit: string, path: string): string {
  return createHash('sha1').update(`${commit}\0${path}`).digest('hex');
}
