import type { AccessControl } from '../access/index.js';
import type { Assets } from '../assets/index.js';
import type { Distribution } from '../oci/index.js';
import { HubCommits } from './hub-commits.js';
import { HubRepos } from './hub-repos.js';
import { LfsTransfers } from './lfs-transfers.js';

export { HubRepos, type HubRepo, type HubRevision } from './hub-repos.js';
export { HubCommits, nextVersion, maxCommitLineBytes } from './hub-commits.js';
export { LfsTransfers, type LfsPlan } from './lfs-transfers.js';
export { Tree, type TreeEntry, type LastCommit } from './tree.js';
export { repoInfo, frontMatter } from './repo-info.js';
export { ndjsonLines } from './ndjson-lines.js';
export {
  commitOf,
  commitPattern,
  hexOf,
  kindOf,
  repoIdText,
  type HubRepoId,
  type HubRepoType,
} from './repo-id.js';

/** The Hugging Face Hub view of the assets: repositories, commits and LFS transfers. */
export interface Hub {
  repos: HubRepos;
  commits: HubCommits;
  lfs: LfsTransfers;
  distribution: Distribution;
}

/** LFS objects above this size are sent in parts of this size (when they come through Arca). */
export const defaultPartSize = 32 * 1024 * 1024;

export function openHub(
  assets: Assets,
  distribution: Distribution,
  access: AccessControl,
  partSize = defaultPartSize,
): Hub {
  const repos = new HubRepos(assets, access);
  return {
    repos,
    commits: new HubCommits(assets, distribution, repos),
    lfs: new LfsTransfers(distribution, partSize),
    distribution,
  };
}
