import { isAppError } from '../errors/index.js';
import type { Distribution } from '../oci/index.js';
import { StorageNotFound } from '../storage/index.js';
import { copyBlob } from './copy-blob.js';
import { parseDigestText } from './digest-text.js';
import { blobDataPath, tagLinkPath } from './layout.js';
import { childDigests, manifestOrder, type PendingManifest } from './manifest-order.js';
import { pool } from './pool.js';
import { readSmall } from './read-small.js';
import type { ImportReporter } from './reporter.js';
import type { SourceRepository } from './scan.js';
import type { SourceTree } from './source.js';
import { repositoryResult, type ItemCount, type RepositoryResult } from './summary.js';

export interface ImporterOptions {
  source: SourceTree;
  distribution: Distribution;
  reporter: ImportReporter;
  /** Look and list, write nothing. */
  dryRun: boolean;
  /** Blobs copied at once within a repository. */
  concurrency: number;
  /** Largest manifest read (Arca's limits.manifestsize). */
  manifestLimit: number;
  /** Each blob's size in the source (null: linked but absent; no entry: unknown). */
  blobSizes: Map<string, number | null>;
}

/**
 * How one item ended: counted as new or skipped; `deferred` (done later, counted then) or
 * `counted` (the step counted it itself, as missing or conflicting).
 */
type Outcome = 'new' | 'skipped' | 'deferred' | 'counted';

type StoredManifest = Awaited<ReturnType<Distribution['manifests']['get']>>;

const linkLimit = 1024;
const missingData = 'linked in the source but its data is missing (registry:2 cannot serve it either)';

function messageOf(err: unknown): string {
  if (!isAppError(err)) return (err as Error).message ?? String(err);
  const digest = (err.detail as { digest?: unknown } | undefined)?.digest;
  return `${err.code}: ${err.message}${typeof digest === 'string' ? ` (${digest})` : ''}`;
}

function notInSource(digest: string): Error {
  return new Error(`points at ${digest}, which is not a manifest of the repository in the source`);
}

/**
 * Brings repositories of a registry:2 tree into Arca through the OCI services, as pushes would:
 * blobs first (copied and verified, or linked when Arca already holds them), then manifests
 * (an index after the manifests it names), then tags. Whatever Arca already has is skipped, so
 * running again after an interruption finishes the job and a complete import adds nothing.
 */
export class Importer {
  /** Blobs whose bytes this run has accounted for in the progress. */
  private readonly counted = new Set<string>();

  constructor(private readonly opts: ImporterOptions) {}

  async importRepository(repo: SourceRepository): Promise<RepositoryResult> {
    const result = repositoryResult(repo.name, !(await this.opts.distribution.hasRepository(repo.name)));
    await pool(repo.layers, this.opts.concurrency, (digest) =>
      this.step(result, result.blobs, `blob ${digest}`, () => this.importBlob(repo.name, digest, result)),
    );
    await this.importManifests(repo, result);
    for (const tag of repo.tags) {
      await this.step(result, result.tags, `tag ${tag}`, () => this.importTag(repo, tag, result));
    }
    return result;
  }

  /** Run one item's work: count its outcome, report its failure, advance the progress. */
  private async step(
    result: RepositoryResult,
    count: ItemCount,
    item: string,
    work: () => Promise<Outcome>,
  ): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await work();
    } catch (err) {
      count.failed += 1;
      this.problem(result, 'error', item, messageOf(err));
      outcome = 'counted';
    }
    if (outcome === 'new' || outcome === 'skipped') count[outcome] += 1;
    if (outcome !== 'deferred') this.opts.reporter.progress({ items: 1 });
  }

  private problem(result: RepositoryResult, severity: 'error' | 'warning', item: string, message: string) {
    if (severity === 'error') result.errors += 1;
    this.opts.reporter.problem({ severity, repository: result.name, item, message });
  }

  /** The progress counts each distinct blob's bytes once, whatever happened to it. */
  private countBytes(digest: string, already = 0): void {
    if (this.counted.has(digest)) return;
    this.counted.add(digest);
    const size = this.opts.blobSizes.get(digest) ?? 0;
    if (size > already) this.opts.reporter.progress({ bytes: size - already });
  }

  private async importBlob(repository: string, digest: string, result: RepositoryResult): Promise<Outcome> {
    const { distribution, reporter } = this.opts;
    if (await this.linked(repository, digest)) {
      this.countBytes(digest);
      return 'skipped';
    }
    // null: linked but absent from the source; undefined: its size could not be read (try anyway).
    const size = this.opts.blobSizes.get(digest);
    const adopted = !this.opts.dryRun && (await distribution.blobs.adopt(repository, digest));
    if (!adopted && size === null) {
      // registry:2's garbage collector leaves layer links behind: nothing was lost here.
      result.blobs.missing += 1;
      this.problem(result, 'warning', `blob ${digest}`, missingData);
      this.countBytes(digest);
      return 'counted';
    }
    if (adopted || this.opts.dryRun) {
      if (this.opts.dryRun)
        reporter.planned({ repository, kind: 'blob', name: digest, detail: size ?? undefined });
      this.countBytes(digest);
      return 'new';
    }
    let streamed = 0;
    const first = !this.counted.has(digest);
    try {
      await copyBlob(this.opts.source, distribution.uploads, repository, digest, size ?? undefined, (n) => {
        streamed += n;
        if (first) reporter.progress({ bytes: n });
      });
    } catch (err) {
      if (isAppError(err) && (err.code === 'DIGEST_INVALID' || err.code === 'SIZE_INVALID')) {
        throw new Error(
          `the source's copy does not match its digest (${streamed} bytes read): corrupt, not imported`,
        );
      }
      throw err;
    } finally {
      if (first) this.countBytes(digest, streamed);
    }
    result.blobs.copied += 1;
    result.bytesCopied += streamed;
    return 'new';
  }

  private async linked(repository: string, digest: string): Promise<boolean> {
    try {
      await this.opts.distribution.blobs.stat(repository, digest);
      return true;
    } catch (err) {
      if (isAppError(err) && err.code === 'BLOB_UNKNOWN') return false;
      throw err;
    }
  }

  private async manifest(repository: string, reference: string): Promise<StoredManifest | null> {
    try {
      return await this.opts.distribution.manifests.get(repository, reference);
    } catch (err) {
      if (isAppError(err) && err.code === 'MANIFEST_UNKNOWN') return null;
      throw err;
    }
  }

  private async readManifest(digest: string): Promise<Buffer> {
    try {
      return await readSmall(this.opts.source, blobDataPath(digest), this.opts.manifestLimit);
    } catch (err) {
      if (err instanceof StorageNotFound) throw new Error(missingData);
      throw new Error(`cannot read the manifest from the source: ${(err as Error).message}`);
    }
  }

  /** Store a manifest by digest; ManifestService checks the bytes against it and every reference. */
  private async putManifest(repository: string, digest: string, body: Buffer): Promise<Outcome> {
    if (this.opts.dryRun) this.opts.reporter.planned({ repository, kind: 'manifest', name: digest });
    else await this.opts.distribution.manifests.put(repository, digest, body, undefined);
    return 'new';
  }

  /**
   * Image manifests go in as they are read. An index waits until the rest are in and is read
   * again then, so memory holds one manifest at a time, not a repository's worth.
   */
  private async importManifests(repo: SourceRepository, result: RepositoryResult): Promise<void> {
    const indexes: PendingManifest[] = [];
    for (const digest of repo.revisions) {
      await this.step(result, result.manifests, `manifest ${digest}`, async () => {
        if (await this.manifest(repo.name, digest)) return 'skipped';
        const body = await this.readManifest(digest);
        const children = childDigests(body);
        if (children.length > 0) {
          indexes.push({ digest, children });
          return 'deferred';
        }
        return this.putManifest(repo.name, digest, body);
      });
    }
    for (const digest of manifestOrder(indexes)) {
      await this.step(result, result.manifests, `manifest ${digest}`, async () =>
        this.putManifest(repo.name, digest, await this.readManifest(digest)),
      );
    }
  }

  private async importTag(repo: SourceRepository, tag: string, result: RepositoryResult): Promise<Outcome> {
    let digest: string;
    try {
      digest = parseDigestText(await readSmall(this.opts.source, tagLinkPath(repo.name, tag), linkLimit));
    } catch (err) {
      throw new Error(`cannot read the tag's link: ${(err as Error).message}`);
    }
    const current = await this.manifest(repo.name, tag);
    if (current?.digest === digest) return 'skipped';
    if (current) {
      // The tag moved in Arca after an earlier import (or was pushed there): Arca's wins.
      result.tags.conflicts += 1;
      this.problem(
        result,
        'warning',
        `tag ${tag}`,
        `points at ${current.digest} in Arca and at ${digest} in the source; Arca's tag kept`,
      );
      return 'counted';
    }
    const inSource = repo.revisions.includes(digest);
    const target = await this.manifest(repo.name, digest);
    if (!target && !inSource) throw notInSource(digest);
    if (this.opts.dryRun) {
      this.opts.reporter.planned({ repository: repo.name, kind: 'tag', name: tag, detail: digest });
      return 'new';
    }
    if (!target) throw new Error(`points at ${digest}, which could not be imported`);
    await this.opts.distribution.manifests.put(repo.name, tag, target.payload, target.media_type);
    return 'new';
  }
}
