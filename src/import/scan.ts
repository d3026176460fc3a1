import { isRepositoryName, isTag } from '../oci/index.js';
import { parseLinkPath, repositoriesRoot, v2Root } from './layout.js';
import type { SourceTree } from './source.js';
import type { ImportProblem } from './summary.js';

/** A repository of the source as its links describe it; every list sorted. */
export interface SourceRepository {
  name: string;
  /** Blobs linked into the repository (`_layers`). */
  layers: string[];
  /** Manifests in the repository (`_manifests/revisions`). */
  revisions: string[];
  /** Tag names (`_manifests/tags/<tag>/current/link`). */
  tags: string[];
}

export interface ScanResult {
  repositories: SourceRepository[];
  /** Links that cannot be imported: repositories or tags with invalid names, malformed digests. */
  problems: ImportProblem[];
}

/**
 * List the source's repositories and their links, without reading any content. One listing of
 * `repositories/`: on an object store that is a paged prefix listing, not a walk per repository.
 */
export async function scanSource(source: SourceTree): Promise<ScanResult> {
  const found = new Map<string, { layers: Set<string>; revisions: Set<string>; tags: Set<string> }>();
  const problems: ImportProblem[] = [];
  const invalidNames = new Set<string>();
  let files = 0;
  for await (const path of source.list(repositoriesRoot)) {
    files += 1;
    const entry = parseLinkPath(path);
    if (!entry) continue;
    if (!isRepositoryName(entry.repository)) {
      if (!invalidNames.has(entry.repository)) {
        invalidNames.add(entry.repository);
        problems.push({
          severity: 'error',
          repository: entry.repository,
          message: 'not a valid repository name; repository skipped',
        });
      }
      continue;
    }
    let repo = found.get(entry.repository);
    if (!repo) {
      repo = { layers: new Set(), revisions: new Set(), tags: new Set() };
      found.set(entry.repository, repo);
    }
    switch (entry.kind) {
      case 'layer':
        repo.layers.add(entry.digest);
        break;
      case 'revision':
        repo.revisions.add(entry.digest);
        break;
      case 'tag':
        if (isTag(entry.tag)) repo.tags.add(entry.tag);
        else
          problems.push({
            severity: 'error',
            repository: entry.repository,
            item: `tag ${entry.tag}`,
            message: 'not a valid tag name; tag skipped',
          });
        break;
      case 'invalid':
        problems.push({
          severity: 'error',
          repository: entry.repository,
          message: `${entry.path}: ${entry.reason}; link skipped`,
        });
        break;
    }
  }
  if (files === 0) {
    throw new Error(
      `${source.description}: nothing under ${repositoriesRoot}: not a registry:2 storage tree (expected ${v2Root}/repositories and ${v2Root}/blobs under the root directory), or an empty one`,
    );
  }
  const repositories = [...found]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, r]) => ({
      name,
      layers: [...r.layers].sort(),
      revisions: [...r.revisions].sort(),
      tags: [...r.tags].sort(),
    }));
  return { repositories, problems };
}
