import type { AccessControl, Caller, RegistryLocation } from '../access/index.js';
import {
  assetRepository,
  LATEST,
  type AssetKey,
  type AssetKind,
  type AssetView,
  type Assets,
  type VersionView,
} from '../assets/index.js';
import { AppError } from '../errors/index.js';
import { commitOf, commitPattern, kindOf, repoIdText, type HubRepoId } from './repo-id.js';

/** A Hub repository the caller may use: its asset, registry and OCI repository. */
export interface HubRepo {
  id: HubRepoId;
  key: AssetKey;
  location: RegistryLocation;
  /** `<registry>/<kind>s/<name>`: where its blobs are. */
  repository: string;
  asset: AssetView;
}

/** A revision resolved: the version and its commit id. */
export interface HubRevision {
  version: VersionView;
  commit: string;
}

/** Revisions that name the head: `main` is the `latest` label, JavaScript's default is `HEAD`. */
const headNames = new Set(['main', 'HEAD']);

/**
 * RepoNotFound as the Hub says it: 401 to a caller who may not read the repository (or to anyone
 * not signed in), so a private repository and a missing one look alike; 404 to a reader.
 */
const notFound = (caller: Caller | undefined, id: HubRepoId, reader = false) => {
  const text = `Repository not found: ${repoIdText(id).slice(0, 200)}`;
  return reader && caller && caller.kind !== 'anonymous'
    ? new AppError('ASSET_UNKNOWN', text)
    : new AppError('UNAUTHORIZED', text, undefined, { headers: { 'X-Error-Code': 'RepoNotFound' } });
};

/**
 * Hub repositories over Arca's assets: which asset a repository id names, whether the caller may
 * read or write it (asked of `AccessControl`, with the asset API's permissions), and which version
 * a revision names.
 */
export class HubRepos {
  constructor(
    private readonly assets: Assets,
    private readonly access: AccessControl,
  ) {}

  /** The registry a repository id names, or RepoNotFound as the Hub says it. */
  location(caller: Caller | undefined, id: HubRepoId): RegistryLocation {
    try {
      return this.assets.assets.registry(id.owner);
    } catch (err) {
      if (err instanceof AppError && err.code === 'REGISTRY_UNKNOWN') throw notFound(caller, id);
      throw err;
    }
  }

  /** May the caller write assets in this registry? 403 as the Hub refuses a write otherwise. */
  async mayWrite(caller: Caller | undefined, id: HubRepoId, where: RegistryLocation): Promise<void> {
    if (!(await this.access.allows(caller, 'registries/assets/read', where))) throw notFound(caller, id);
    if (await this.access.allows(caller, 'registries/assets/write', where)) return;
    throw new AppError('DENIED', `You don't have the rights to write to ${repoIdText(id).slice(0, 200)}`);
  }

  /** Whether anyone may read the registry without signing in (the Hub's `private: false`). */
  async isPublic(where: RegistryLocation): Promise<boolean> {
    return this.access.allows(undefined, 'registries/assets/read', where);
  }

  /** The repository, if the caller may read it (and write it, with `write`). */
  async open(caller: Caller | undefined, id: HubRepoId, write = false): Promise<HubRepo> {
    const location = this.location(caller, id);
    if (write) await this.mayWrite(caller, id, location);
    else if (!(await this.access.allows(caller, 'registries/assets/read', location)))
      throw notFound(caller, id);
    let key: AssetKey;
    try {
      key = this.assets.assets.key(location.registry, kindOf(id.type), id.name);
    } catch (err) {
      if (err instanceof AppError && err.status === 400) throw notFound(caller, id, true);
      throw err;
    }
    let asset: AssetView;
    try {
      asset = await this.assets.assets.get(key);
    } catch (err) {
      if (err instanceof AppError && err.code === 'ASSET_UNKNOWN') throw notFound(caller, id, true);
      throw err;
    }
    const repository = assetRepository(key.registry, key.kind, key.name);
    return { id: { ...id, owner: location.registry }, key, location, repository, asset };
  }

  /** A new, empty repository (an asset without versions). */
  async create(registry: string, kind: AssetKind, name: string, by: string | null): Promise<void> {
    await this.assets.assets.create(registry, kind, { name }, by);
  }

  /** The head (`main`), or undefined when nothing was published yet. */
  async head(repo: HubRepo): Promise<HubRevision | undefined> {
    return this.find(repo, LATEST, true);
  }

  /** The version a revision names (`main`/`HEAD`, a commit id, a version, a label); RevisionNotFound otherwise. */
  async revision(repo: HubRepo, revision: string): Promise<HubRevision> {
    const found = await this.find(repo, headNames.has(revision) ? LATEST : revision, headNames.has(revision));
    if (!found) {
      throw new AppError('ASSET_VERSION_UNKNOWN', `Invalid rev id: ${revision.slice(0, 200)}`, undefined, {
        headers: { 'X-Error-Code': 'RevisionNotFound' },
      });
    }
    return found;
  }

  private async find(repo: HubRepo, revision: string, labelOnly: boolean): Promise<HubRevision | undefined> {
    const versions = this.assets.versions;
    const attempt = async (get: () => Promise<VersionView | undefined>) => {
      try {
        return await get();
      } catch (err) {
        if (err instanceof AppError && err.status < 500) return undefined;
        throw err;
      }
    };
    let version: VersionView | undefined;
    if (!labelOnly && commitPattern.test(revision)) {
      version = await attempt(() => versions.byDigestPrefix(repo.key, `sha256:${revision}`));
    }
    if (!version && !labelOnly) version = await attempt(() => versions.get(repo.key, revision));
    if (!version) version = await attempt(() => versions.byLabel(repo.key, revision));
    return version && { version, commit: commitOf(version.digest) };
  }
}
