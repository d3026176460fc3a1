import { isAppError } from '../errors/index.js';
import type { OciRegistry } from '../oci/index.js';
import { copyBlob } from './copy-blob.js';
import { blobDataPath, tagLinkPath } from './layout.js';
import { childDigests, manifestOrder, type PendingManifest } from './manifest-order.js';
import { readSmall } from './read-small.js';
import { parseDigestText } from './digest-text.js';
import type { ImportReporter } from './reporter.js';
import type { SourceRepository } from './scan.js';
import type { SourceTree } from './source.js';
import {
  formatBytes,
  repositoryResult,
  type ImportProblem,
  type PlannedItem,
  type RepositoryResult,
} from './summary.js';

export interface ImporterOptions {
  source: SourceTree;
  registry: OciRegistry;
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

const linkLimit = 1024;

type StoredManifest = Awaited<ReturnType<OciRegistry['manifests']['get']>>;

function notInSource(digest: string): Error {
  return new Error(`points at ${digest}, which is not a manifest of the repository in the source`);
}

function messageOf(err: unknown): string {
  if (isAppError(err)) return `${err.code}: ${err.message}`;
  return (err as Error).message ?? String(err);
}

/** Run `work` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Brings repositories of a registry:2 tree into Arca through the OCI services, as pushes would:
 * blobs first (copied and verified, or linked when Arca already holds them), then manifests
 * (children before the indexes naming them), then tags. Whatever Arca already has is skipped, so
 * running again after an interruption finishes the job and a complete import adds nothing.
 */
export class Importer {
  /** Blobs whose bytes this run has accounted for in the progress. */
  private readonly counted = new Set<string>();

  constructor(private readonly opts: ImporterOptions) {}

  async importRepository(repo: SourceRepository): Promise<RepositoryResult> {
    const { registry } = this.opts;
    const result = repositoryResult(repo.name, !(await registry.hasRepository(repo.name)));
    await pool(repo.layers, this.opts.concurrency, (digest) => this.importBlob(repo.name, digest, result));
    await this.importManifests(repo, result);
    for (const tag of repo.tags) await this.importTag(repo, tag, result);
    return result;
  }

  private problem(
    result: RepositoryResult,
    severity: ImportProblem['severity'],
    item: string,
    message: string,
  ) {
    if (severity === 'error') result.errors += 1;
    this.opts.reporter.problem({ severity, repository: result.name, item, message });
  }

  private planned(item: PlannedItem): void {
    this.opts.reporter.planned(item);
  }

  /** The progress counts each distinct blob's bytes once, whatever happened to it. */
  private countBytes(digest: string, already = 0): void {
    if (this.counted.has(digest)) return;
    this.counted.add(digest);
    const size = this.opts.blobSizes.get(digest) ?? 0;
    if (size > already) this.opts.reporter.progress({ bytes: size - already });
  }

  private async importBlob(repository: string, digest: string, result: RepositoryResult): Promise<void> {
    const { registry, reporter } = this.opts;
    const item = `blob ${digest}`;
    try {
      if (await this.linked(repository, digest)) {
        result.blobs.skipped += 1;
        this.countBytes(digest);
        return;
      }
      // null: linked but absent from the source; undefined: its size could not be read (try anyway).
      const size = this.opts.blobSizes.get(digest);
      if (this.opts.dryRun) {
        if (size === null) {
          result.blobs.missing += 1;
          this.problem(result, 'warning', item, 'linked in the source but its data is missing; skipped');
        } else {
          result.blobs.new += 1;
          this.planned({ repository, kind: 'blob', name: digest, detail: size });
        }
        this.countBytes(digest);
        return;
      }
      if (await registry.blobs.adopt(repository, digest)) {
        result.blobs.new += 1;
        this.countBytes(digest);
        return;
      }
      if (size === null) {
        // registry:2's garbage collector leaves layer links behind: registry:2 cannot serve these either.
        result.blobs.missing += 1;
        this.problem(result, 'warning', item, 'linked in the source but its data is missing; skipped');
        return;
      }
      let streamed = 0;
      const first = !this.counted.has(digest);
      try {
        await copyBlob(this.opts.source, registry.uploads, repository, digest, size, (n) => {
          streamed += n;
          if (first) reporter.progress({ bytes: n });
        });
      } finally {
        if (first) this.countBytes(digest, streamed);
      }
      result.blobs.new += 1;
      result.blobs.copied += 1;
      result.bytesCopied += streamed;
    } catch (err) {
      result.blobs.failed += 1;
      const corrupt = isAppError(err) && (err.code === 'DIGEST_INVALID' || err.code === 'SIZE_INVALID');
      this.problem(
        result,
        'error',
        item,
        corrupt
          ? `the source's copy does not match its digest (${formatBytes(this.opts.blobSizes.get(digest) ?? 0)} read): corrupt, not imported`
          : messageOf(err),
      );
    } finally {
      reporter.progress({ items: 1 });
    }
  }

  private async linked(repository: string, digest: string): Promise<boolean> {
    try {
      await this.opts.registry.blobs.stat(repository, digest);
      return true;
    } catch (err) {
      if (isAppError(err) && err.code === 'BLOB_UNKNOWN') return false;
      throw err;
    }
  }

  private async manifest(repository: string, reference: string): Promise<StoredManifest | null> {
    try {
      return await this.opts.registry.manifests.get(repository, reference);
    } catch (err) {
      if (isAppError(err) && err.code === 'MANIFEST_UNKNOWN') return null;
      throw err;
    }
  }

  private async present(repository: string, reference: string): Promise<string | null> {
    return (await this.manifest(repository, reference))?.digest ?? null;
  }

  private async importManifests(repo: SourceRepository, result: RepositoryResult): Promise<void> {
    const { registry, reporter, source } = this.opts;
    const pending: PendingManifest[] = [];
    const bodies = new Map<string, Buffer>();
    for (const digest of repo.revisions) {
      const item = `manifest ${digest}`;
      try {
        if ((await this.present(repo.name, digest)) !== null) {
          result.manifests.skipped += 1;
          reporter.progress({ items: 1 });
          continue;
        }
        let body: Buffer;
        try {
          body = await readSmall(source, blobDataPath(digest), this.opts.manifestLimit);
        } catch (err) {
          throw new Error(`cannot read the manifest from the source: ${(err as Error).message}`);
        }
        pending.push({ digest, children: childDigests(body) });
        // Manifests are small (bounded by the limit) and a repository's pending ones are few.
        bodies.set(digest, body);
      } catch (err) {
        result.manifests.failed += 1;
        this.problem(result, 'error', item, messageOf(err));
        reporter.progress({ items: 1 });
      }
    }
    for (const digest of manifestOrder(pending)) {
      const item = `manifest ${digest}`;
      try {
        if (this.opts.dryRun) {
          this.planned({ repository: repo.name, kind: 'manifest', name: digest });
        } else {
          await registry.manifests.put(repo.name, digest, bodies.get(digest)!, undefined);
        }
        result.manifests.new += 1;
      } catch (err) {
        result.manifests.failed += 1;
        this.problem(result, 'error', item, messageOf(err));
      } finally {
        bodies.delete(digest);
        reporter.progress({ items: 1 });
      }
    }
  }

  private async importTag(repo: SourceRepository, tag: string, result: RepositoryResult): Promise<void> {
    const { registry, reporter, source } = this.opts;
    const item = `tag ${tag}`;
    try {
      let digest: string;
      try {
        digest = parseDigestText(await readSmall(source, tagLinkPath(repo.name, tag), linkLimit));
      } catch (err) {
        throw new Error(`cannot read the tag's link: ${(err as Error).message}`);
      }
      const current = await this.present(repo.name, tag);
      if (current === digest) {
        result.tags.skipped += 1;
        return;
      }
      if (current !== null) {
        // The tag moved in Arca after an earlier import (or was pushed there): Arca's wins.
        result.tags.conflicts += 1;
        this.problem(
          result,
          'warning',
          item,
          `points at ${current} in Arca and at ${digest} in the source; Arca's tag kept`,
        );
        return;
      }
      const target = await this.manifest(repo.name, digest);
      if (this.opts.dryRun) {
        if (!target && !repo.revisions.includes(digest)) throw notInSource(digest);
        this.planned({ repository: repo.name, kind: 'tag', name: tag, detail: digest });
      } else {
        if (!target) {
          throw repo.revisions.includes(digest)
            ? new Error(`points at ${digest}, which could not be imported`)
            : notInSource(digest);
        }
        await registry.manifests.put(repo.name, tag, target.payload, target.media_type);
      }
      result.tags.new += 1;
    } catch (err) {
      result.tags.failed += 1;
      this.problem(result, 'error', item, messageOf(err));
    } finally {
      reporter.progress({ items: 1 });
    }
  }
}
