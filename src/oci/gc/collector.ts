import type { MetadataDb } from '../../db/index.js';
import { blobPath } from '../digest.js';
import { deleteManifest } from '../store/manifests.js';
import type { StoreRouter } from '../stores.js';
import { decideBlob, dependentsOf, manifestReferenced, type ManifestHold } from './decide.js';
import type { GcMetrics } from './gc-metrics.js';
import { lockBlobs, lockManifests } from './locks.js';
import {
  claimBlobReview,
  claimManifestReview,
  dropBlobReview,
  dropManifestReview,
  dueBlobReviews,
  dueManifestReviews,
  queueBlobReviews,
  queueManifestReviews,
} from './review-queue.js';
import { sweepStaging } from './staging-sweep.js';

/** What one run deleted (or, dry, would delete). */
export interface GcReport {
  dryRun: boolean;
  manifests: { repository: string; digest: string }[];
  /** Blob copies: one per location released. */
  blobs: { digest: string; location: string; size: number }[];
  bytes: number;
  stagingObjects: string[];
  /** Reviews left for a later run: a location that could not be resolved, or held by another run. */
  deferred: number;
}

const batch = 500;

/**
 * Online garbage collection from the review queues: each due review is decided in its own
 * transaction that locks the row it may delete (PostgreSQL; the single writer on SQLite) and
 * re-checks every reference under that lock, so a write that re-references it either committed first
 * (and is seen) or waits and then finds the row gone (and refuses or re-creates it). Blob bytes are
 * deleted from storage inside that transaction, after the decision and before the rows go, so a
 * linker waiting on the lock never links bytes that are about to vanish.
 */
export class GarbageCollector {
  private readonly holds: ManifestHold[] = [];

  constructor(
    private readonly meta: MetadataDb,
    private readonly stores: StoreRouter,
    private readonly settings: { gracePeriodMs: number },
    private readonly metrics?: GcMetrics,
  ) {}

  /** Another room's claim on manifests (asset versions): GC keeps what any hold names. */
  hold(hold: ManifestHold): void {
    this.holds.push(hold);
  }

  async run(options: { dryRun?: boolean; now?: number } = {}): Promise<GcReport> {
    const dryRun = options.dryRun ?? false;
    const cutoff = (options.now ?? Date.now()) - this.settings.gracePeriodMs;
    const report: GcReport = { dryRun, manifests: [], blobs: [], bytes: 0, stagingObjects: [], deferred: 0 };
    if (dryRun) await this.dry(cutoff, report);
    else {
      await this.drain(
        (l) => dueManifestReviews(this.meta.db, cutoff, l),
        (m) => `${m.repository}@${m.digest}`,
        (m) => this.reviewManifest(m.repository, m.digest, cutoff, report),
      );
      await this.drain(
        (l) => dueBlobReviews(this.meta.db, cutoff, l),
        (d) => d,
        (d) => this.reviewBlob(d, cutoff, report),
      );
    }
    report.stagingObjects = await sweepStaging(this.meta, this.stores, cutoff, dryRun);
    report.bytes = report.blobs.reduce((n, b) => n + b.size, 0);
    if (!dryRun && this.metrics) {
      this.metrics.bytes.inc(report.bytes);
      this.metrics.blobs.inc(report.blobs.length);
      this.metrics.manifests.inc(report.manifests.length);
      this.metrics.stagingObjects.inc(report.stagingObjects.length);
    }
    return report;
  }

  /** Review due items batch by batch until a batch brings nothing new (what is left is deferred). */
  private async drain<T>(
    due: (limit: number) => Promise<T[]>,
    key: (item: T) => string,
    review: (item: T) => Promise<boolean>,
  ) {
    const seen = new Set<string>();
    for (;;) {
      const fresh = (await due(batch + seen.size)).filter((item) => !seen.has(key(item)));
      if (fresh.length === 0) return;
      for (const item of fresh) {
        seen.add(key(item));
        await review(item);
      }
    }
  }

  /** A dry run decides every due review as it stands, writing nothing (cascades show on the next run). */
  private async dry(cutoff: number, report: GcReport): Promise<void> {
    const db = this.meta.db;
    for (const m of await dueManifestReviews(db, cutoff, 1_000_000)) {
      const present = await lockManifests(db, m.repository, [m.digest], 'share');
      if (present.size > 0 && !(await manifestReferenced(db, m.repository, m.digest, this.holds)))
        report.manifests.push(m);
    }
    for (const digest of await dueBlobReviews(db, cutoff, 1_000_000)) {
      const verdict = await decideBlob(db, digest, (r) => this.locationsOf(r));
      if (!verdict || verdict.undecided) continue;
      for (const location of verdict.release) report.blobs.push({ digest, location, size: verdict.size });
    }
  }

  /** Returns whether the manifest was deleted. */
  private async reviewManifest(
    repository: string,
    digest: string,
    cutoff: number,
    report: GcReport,
  ): Promise<boolean> {
    const deleted = await this.meta.db.transaction().execute(async (tx) => {
      const since = await claimManifestReview(tx, repository, digest);
      if (since === undefined) return false;
      if (since >= cutoff) return false;
      const present = await lockManifests(tx, repository, [digest], 'update');
      if (present.size === 0 || (await manifestReferenced(tx, repository, digest, this.holds))) {
        await dropManifestReview(tx, repository, digest);
        return false;
      }
      const dependents = await dependentsOf(tx, repository, digest);
      await deleteManifest(tx, repository, digest);
      await dropManifestReview(tx, repository, digest);
      // Unreferenced since the manifest was: the grace period has passed for them too, unless pushed forward.
      await queueBlobReviews(tx, dependents.blobs, since);
      await queueManifestReviews(tx, repository, dependents.manifests, since);
      return true;
    });
    if (deleted) report.manifests.push({ repository, digest });
    return deleted;
  }

  private async reviewBlob(digest: string, cutoff: number, report: GcReport): Promise<boolean> {
    const released: GcReport['blobs'] = [];
    await this.meta.db.transaction().execute(async (tx) => {
      const since = await claimBlobReview(tx, digest);
      if (since === undefined || since >= cutoff) return;
      if ((await lockBlobs(tx, [digest], 'update')).size === 0) {
        await dropBlobReview(tx, digest);
        return;
      }
      const verdict = await decideBlob(tx, digest, (r) => this.locationsOf(r));
      if (!verdict || verdict.undecided) {
        report.deferred++;
        return;
      }
      const drivers = verdict.release.map((location) => ({ location, driver: this.driverOf(location) }));
      if (drivers.some((d) => d.driver === undefined)) {
        // A location that is not usable now (a registry's backend in Error): try again next run.
        report.deferred++;
        return;
      }
      for (const { location, driver } of drivers) {
        await driver!.delete(blobPath(digest));
        released.push({ digest, location, size: verdict.size });
      }
      if (verdict.release.length > 0)
        await tx
          .deleteFrom('blob_locations')
          .where('digest', '=', digest)
          .where('location', 'in', verdict.release)
          .execute();
      if (verdict.unlink.length > 0)
        await tx
          .deleteFrom('repository_blobs')
          .where('digest', '=', digest)
          .where('repository', 'in', verdict.unlink)
          .execute();
      if (verdict.forget) await tx.deleteFrom('blobs').where('digest', '=', digest).execute();
      await dropBlobReview(tx, digest);
    });
    report.blobs.push(...released);
    return released.length > 0;
  }

  private driverOf(location: string) {
    if (this.stores.driverOf) return this.stores.driverOf(location);
    return this.stores.all().find((s) => s.location === location)?.driver;
  }

  /** The locations that must hold a repository's blobs, or undefined when no store answers for it. */
  private locationsOf(repository: string): string[] | undefined {
    try {
      return this.stores.locationsFor?.(repository) ?? [this.stores.storeFor(repository).location];
    } catch {
      return undefined;
    }
  }
}
