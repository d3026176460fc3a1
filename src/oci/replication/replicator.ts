import type { Executor, MetadataDb } from '../../db/index.js';
import type { StorageDriver } from '../../storage/index.js';
import type { BlobLink, BlobObserver } from '../blob-observers.js';
import { blobPath } from '../digest.js';
import { lockBlobs } from '../gc/locks.js';
import { queueBlobReviews } from '../gc/review-queue.js';
import { recordBlobLocation } from '../store/blob-locations.js';
import {
  dropCopies,
  finishCopy,
  heldFor,
  locationFigures,
  missingIn,
  noteCopyError,
  pendingCopy,
  queueCopy,
  type PendingCopy,
} from '../store/replication-copies.js';
import type { StoreRouter } from '../stores.js';
import { copyBlob, type CopyMethod } from './copy-blob.js';

/** The job kind of one copy: a blob to one additional location. */
export const replicateKind = 'oci.replicate';

/** A copy job's payload: which location is owed which blob (the rest is in its pending row). */
export interface ReplicationJob {
  location: string;
  digest: string;
}

/** A copy done or given up, as observers (notifications) learn of it. */
export interface ReplicationEvent {
  repository: string;
  digest: string;
  size: number;
  /** The location copied to. */
  location: string;
  source: string;
  method?: CopyMethod;
  /** Why the last attempt failed (a copy given up). */
  error?: string;
}

/** What other rooms learn of copies: `inFinished` runs in the transaction that records the copy. */
export interface ReplicationObserver {
  inFinished?(tx: Executor, event: ReplicationEvent): Promise<void>;
  /** A copy whose last attempt failed (the copy stays owed: a retried job may still do it). */
  afterFailed?(event: ReplicationEvent): Promise<void>;
}

/** A location of a registry as `registry show` reports it. */
export interface LocationReplication {
  location: string;
  role: 'primary' | 'additional';
  blobs: number;
  bytes: number;
  pending_copies: number;
  /** Age of the oldest pending copy, in seconds (0 when none is pending). */
  lag_seconds: number;
  last_error: string | null;
  last_error_at: string | null;
}

/** How copies are queued: a job through the caller's executor (the job table's `enqueue`). */
export interface CopyQueue {
  enqueue(db: Executor, kind: string, payload: unknown): Promise<unknown>;
}

/**
 * Replication between a registry's locations. Every blob linked in its primary location owes a copy
 * to each additional location: a pending row and a job, written in the linking transaction (so the
 * copy is owed exactly when the blob is visible); adding a location owes it every blob already
 * there. A job copies (`copyBlob`: server-side where it can, else streamed and verified), then records
 * the location in `blob_locations` and drops the row in one transaction. Manifests live in the
 * database every location shares: nothing to copy.
 */
export class Replicator implements BlobObserver {
  private readonly observers: ReplicationObserver[] = [];

  constructor(
    private readonly meta: MetadataDb,
    private readonly stores: StoreRouter,
    private readonly queue: CopyQueue,
  ) {}

  observe(observer: ReplicationObserver): void {
    this.observers.push(observer);
  }

  async inLink(tx: Executor, link: BlobLink): Promise<void> {
    const targets = (this.stores.locationsFor?.(link.repository) ?? []).filter((l) => l !== link.location);
    for (const location of targets) {
      await this.owe(tx, {
        location,
        digest: link.digest,
        repository: link.repository,
        source: link.location,
        size: link.size,
      });
    }
  }

  /** Owe `locations`, newly added to a registry, every blob its repositories have (in the caller's transaction). */
  async backfill(tx: Executor, registry: string, source: string, locations: string[]): Promise<number> {
    let owed = 0;
    for (const location of locations) {
      for (const blob of await missingIn(tx, registry, location)) {
        if (await this.owe(tx, { location, source, ...blob })) owed++;
      }
    }
    return owed;
  }

  /**
   * Stop copying to a registry's `locations` (removed from it), or to all of them (the registry is
   * gone). The copies a removed location holds are queued for GC review: the next run releases
   * those no repository stored there needs.
   */
  async forget(db: Executor, registry: string, locations?: string[]): Promise<void> {
    await dropCopies(db, registry, locations);
    for (const location of locations ?? []) {
      const held = await heldFor(db, registry, location);
      if (held.length > 0) await queueBlobReviews(db, held, Date.now());
    }
  }

  private async owe(
    tx: Executor,
    copy: Omit<PendingCopy, 'created_at' | 'attempts' | 'last_error' | 'last_error_at'>,
  ) {
    const held = await tx
      .selectFrom('blob_locations')
      .select('digest')
      .where('location', '=', copy.location)
      .where('digest', '=', copy.digest)
      .executeTakeFirst();
    if (held) return false;
    if (!(await queueCopy(tx, { ...copy, created_at: Date.now() }))) return false;
    await this.queue.enqueue(tx, replicateKind, {
      location: copy.location,
      digest: copy.digest,
    } satisfies ReplicationJob);
    return true;
  }

  /**
   * Run one copy job. Idempotent: a copy no longer owed (done, dropped, or its blob collected) ends
   * at once, and one found in place is recorded. `final` is the job's last attempt: a failure then
   * is told to the observers.
   */
  async run(job: ReplicationJob, final: boolean, signal?: AbortSignal): Promise<CopyMethod | undefined> {
    const db = this.meta.db;
    const copy = await pendingCopy(db, job.location, job.digest);
    if (!copy) return undefined;
    const event: ReplicationEvent = {
      repository: copy.repository,
      digest: copy.digest,
      size: Number(copy.size),
      location: copy.location,
      source: copy.source,
    };
    try {
      const target = this.driverOf(copy.location);
      if (!target) throw new Error(`location ${copy.location} is not available`);
      const source = await this.sourceOf(copy);
      if (!source) {
        if ((await lockBlobs(db, [copy.digest], 'share')).size === 0) {
          await finishCopy(db, copy.location, copy.digest);
          return undefined;
        }
        throw new Error(`no location holds ${copy.digest}`);
      }
      event.method = await copyBlob(source, target, copy.digest, event.size, signal);
      const recorded = await db.transaction().execute(async (tx) => {
        await finishCopy(tx, copy.location, copy.digest);
        // Recorded only while the blob lives: a GC review that removed it first leaves nothing to record.
        if ((await lockBlobs(tx, [copy.digest], 'share')).size === 0) return false;
        await recordBlobLocation(tx, copy.location, copy.digest, Date.now());
        for (const o of this.observers) await o.inFinished?.(tx, event);
        return true;
      });
      if (!recorded) await target.delete(blobPath(copy.digest));
      return event.method;
    } catch (err) {
      if (signal?.aborted) throw err;
      const message = err instanceof Error ? err.message : String(err);
      await noteCopyError(db, copy.location, copy.digest, message, Date.now());
      if (final) for (const o of this.observers) await o.afterFailed?.({ ...event, error: message });
      throw err;
    }
  }

  /** The copy's source, else any other location recorded as holding the blob whose store has it. */
  private async sourceOf(copy: PendingCopy): Promise<StorageDriver | undefined> {
    const recorded = await this.meta.db
      .selectFrom('blob_locations')
      .select('location')
      .where('digest', '=', copy.digest)
      .where('location', '!=', copy.location)
      .execute();
    const names = recorded
      .map((r) => r.location)
      .sort((a, b) => Number(b === copy.source) - Number(a === copy.source));
    for (const name of names) {
      const driver = this.driverOf(name);
      if (driver && (await driver.stat(blobPath(copy.digest)))?.size === Number(copy.size)) return driver;
    }
    return undefined;
  }

  private driverOf(location: string): StorageDriver | undefined {
    return this.stores.driverOf?.(location) ?? this.stores.all().find((s) => s.location === location)?.driver;
  }

  /** Per location of a registry: what it holds, what it is owed, how late, the last error. */
  async status(
    registry: string,
    primary: string,
    additional: readonly string[],
  ): Promise<LocationReplication[]> {
    const now = Date.now();
    const out: LocationReplication[] = [];
    for (const location of [primary, ...additional]) {
      const f = await locationFigures(this.meta.db, registry, location);
      out.push({
        location,
        role: location === primary ? 'primary' : 'additional',
        blobs: f.blobs,
        bytes: f.bytes,
        pending_copies: f.pending,
        lag_seconds: f.oldest === null ? 0 : Math.max(0, (now - f.oldest) / 1000),
        last_error: f.lastError,
        last_error_at: f.lastErrorAt === null ? null : new Date(f.lastErrorAt).toISOString(),
      });
    }
    return out;
  }
}
