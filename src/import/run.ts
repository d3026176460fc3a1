import type { Distribution } from '../oci/index.js';
import { Importer } from './importer.js';
import { blobDataPath } from './layout.js';
import { pool } from './pool.js';
import type { ImportReporter } from './reporter.js';
import { scanSource } from './scan.js';
import type { SourceTree } from './source.js';
import { addRepository, emptySummary, type ImportProblem, type ImportSummary } from './summary.js';

export interface ImportOptions {
  source: SourceTree;
  distribution: Distribution;
  reporter: ImportReporter;
  dryRun?: boolean;
  /** Blobs copied at once. Default 4. */
  concurrency?: number;
  /** Largest manifest read. Default 4 MiB (Arca's default limits.manifestsize). */
  manifestLimit?: number;
}

/** Sizes of the source's blobs, a few stats at a time; null when absent, no entry when unreadable. */
async function statBlobs(
  source: SourceTree,
  digests: string[],
  onError: (digest: string, err: Error) => void,
): Promise<Map<string, number | null>> {
  const sizes = new Map<string, number | null>();
  await pool(digests, 16, async (digest) => {
    try {
      sizes.set(digest, (await source.stat(blobDataPath(digest)))?.size ?? null);
    } catch (err) {
      onError(digest, err as Error);
    }
  });
  return sizes;
}

/**
 * Import every repository of a registry:2 storage tree into Arca: scan the links, size the blobs,
 * then each repository in name order. Problems with single items are reported and counted, and the
 * import goes on; a source that is no registry:2 tree, or a database that fails, throws.
 */
export async function importRegistry2(opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const dryRun = opts.dryRun ?? false;
  const summary = emptySummary(opts.source.description, dryRun);
  const watcher = opts.reporter;
  // Problems and planned items also go into the summary.
  const reporter: ImportReporter = {
    started: (totals) => watcher.started(totals),
    repositoryStarted: (name, index) => watcher.repositoryStarted(name, index),
    progress: (delta) => watcher.progress(delta),
    problem(p: ImportProblem) {
      (p.severity === 'error' ? summary.errors : summary.warnings).push(p);
      watcher.problem(p);
    },
    planned(item) {
      summary.plan?.push(item);
      watcher.planned(item);
    },
    repositoryFinished: (result, index) => watcher.repositoryFinished(result, index),
    finished: () => watcher.finished(),
  };

  const scan = await scanSource(opts.source);
  for (const p of scan.problems) reporter.problem(p);
  const digests = [...new Set(scan.repositories.flatMap((r) => r.layers))];
  const blobSizes = await statBlobs(opts.source, digests, (digest, err) =>
    reporter.problem({ severity: 'warning', item: `blob ${digest}`, message: `cannot stat: ${err.message}` }),
  );
  for (const size of blobSizes.values()) summary.bytes.source += size ?? 0;

  reporter.started({
    repositories: scan.repositories.length,
    items: scan.repositories.reduce((n, r) => n + r.layers.length + r.revisions.length + r.tags.length, 0),
    bytes: summary.bytes.source,
  });
  const importer = new Importer({
    source: opts.source,
    distribution: opts.distribution,
    reporter,
    dryRun,
    concurrency: opts.concurrency ?? 4,
    manifestLimit: opts.manifestLimit ?? 4 * 1024 * 1024,
    blobSizes,
  });
  for (const [index, repo] of scan.repositories.entries()) {
    reporter.repositoryStarted(repo.name, index);
    const result = await importer.importRepository(repo);
    addRepository(summary, result);
    reporter.repositoryFinished(result, index);
  }
  reporter.finished();
  summary.durationMs = Date.now() - started;
  return summary;
}
