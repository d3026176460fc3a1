import type { Readable } from 'node:stream';
import { AppError } from '../errors/index.js';
import { StorageNotFound, type ByteRange, type StorageDriver } from '../storage/index.js';
import type { MetadataDb } from '../db/index.js';
import { assertDigest, blobPath } from './digest.js';
import { linkedBlobSize, unlinkBlob } from './store/blobs.js';
import { blobSizeIn, locationsOf } from './store/blob-locations.js';
import { heldByRow, linkBlobInto } from './link-blob.js';
import { queueBlobReviews } from './gc/review-queue.js';
import type { StoreRouter } from './stores.js';
import { BlobObservers, type BlobObserver } from './blob-observers.js';

/**
 * A blob's bytes for a GET: a descriptor on the whole file to send the range from (storage on a
 * local filesystem; the caller closes it), or a stream of the range.
 */
export type BlobBody = { fd: number; stream?: undefined } | { stream: Readable; fd?: undefined };

export class BlobService {
  constructor(
    private readonly meta: MetadataDb,
    private readonly stores: StoreRouter,
    /** Shared with the upload services of the same `Distribution`. */
    readonly observers: BlobObservers = new BlobObservers(),
    /** The location this server runs in (`location`): blobs are read from there when it holds them. */
    private readonly here?: string,
  ) {}

  /** Add an observer of blob links, removals and pulls (start-up wiring). */
  observe(observer: BlobObserver): void {
    this.observers.add(observer);
  }

  /** Tell the observers a client read a blob (a /v2 GET, after its size was checked). */
  pulled(repository: string, digest: string, size: number): Promise<void> {
    return this.observers.afterPull({ repository, digest, size });
  }

  /** Size of a blob in a repository; BLOB_UNKNOWN when the repository does not have it. */
  async stat(repository: string, digest: string): Promise<number> {
    assertDigest(digest);
    const size = await linkedBlobSize(this.meta.db, repository, digest);
    if (size === undefined) throw new AppError('BLOB_UNKNOWN', undefined, { digest });
    return size;
  }

  /**
   * Open a blob's bytes, or a range of them: from this server's location when it is one of the
   * repository's and holds them, else from the primary, else from any location recorded as holding
   * them (never a 404 for bytes that exist somewhere); BLOB_UNKNOWN when none has them.
   */
  async read(repository: string, digest: string, range?: ByteRange): Promise<BlobBody> {
    const path = blobPath(digest);
    const primary = this.stores.storeFor(repository);
    const tried = new Set<string>();
    const attempt = async (location: string, driver: StorageDriver | undefined) => {
      if (!driver || tried.has(location)) return undefined;
      tried.add(location);
      try {
        if (driver.open) return { fd: await driver.open(path) };
        return { stream: await driver.read(path, range) };
      } catch (err) {
        if (err instanceof StorageNotFound) return undefined;
        throw err;
      }
    };
    const local = this.localLocation(repository, primary.location);
    const body =
      (local && (await attempt(local, this.stores.driverOf?.(local)))) ??
      (await attempt(primary.location, primary.driver));
    if (body) return body;
    for (const location of await locationsOf(this.meta.db, digest)) {
      const other = await attempt(location, this.stores.driverOf?.(location));
      if (other) return other;
    }
    throw new AppError('BLOB_UNKNOWN', undefined, { digest });
  }

  /** A presigned URL for the blob when the backend can give one (this server's location's, when it holds the blob). */
  async redirectURL(repository: string, digest: string): Promise<string | null> {
    const primary = this.stores.storeFor(repository);
    const local = this.localLocation(repository, primary.location);
    const held = local !== undefined && (await blobSizeIn(this.meta.db, local, digest)) !== undefined;
    const driver = (held && this.stores.driverOf?.(local)) || primary.driver;
    return driver.redirectURL ? driver.redirectURL(blobPath(digest)) : null;
  }

  /** This server's location when it is an additional location of the repository's registry. */
  private localLocation(repository: string, primary: string): string | undefined {
    const here = this.here;
    if (here === undefined || here === primary) return undefined;
    return this.stores.locationsFor?.(repository).includes(here) ? here : undefined;
  }

  /**
   * Link a blob that `from` has into `repository`; false when `from` does not have it, or keeps its
   * bytes in another location (the client then uploads them, as for an unknown blob).
   */
  async mount(repository: string, digest: string, from: string): Promise<boolean> {
    assertDigest(digest);
    const location = this.stores.storeFor(repository).location;
    if (this.stores.storeFor(from).location !== location) return false;
    const size = await linkedBlobSize(this.meta.db, from, digest);
    if (size === undefined) return false;
    return this.linkHeld(repository, digest, size, location, { via: 'mount', from });
  }

  /**
   * Link a blob this registry already holds (recorded and stored, so verified once) into a
   * repository, wherever it came from; false when it holds no such blob. For administrative copies
   * such as imports, which are not bound by the repository-to-repository rule of a client's mount.
   */
  async adopt(repository: string, digest: string): Promise<boolean> {
    assertDigest(digest);
    const { location, driver } = this.stores.storeFor(repository);
    const size = await blobSizeIn(this.meta.db, location, digest);
    if (size === undefined) return false;
    const stored = await driver.stat(blobPath(digest));
    if (stored?.size !== size) return false;
    return this.linkHeld(repository, digest, size, location, { via: 'adopt' });
  }

  /** Link bytes `location` holds already: false when GC deleted them meanwhile (seen under the blob's lock). */
  private linkHeld(
    repository: string,
    digest: string,
    size: number,
    location: string,
    how: { via: 'mount' | 'adopt'; from?: string },
  ): Promise<boolean> {
    return linkBlobInto(
      this.meta.db,
      repository,
      digest,
      size,
      location,
      undefined,
      { set: this.observers, ...how },
      { held: heldByRow(location, digest) },
    );
  }

  /** Remove a blob from a repository. The bytes stay until garbage collection finds them unused. */
  async delete(repository: string, digest: string): Promise<void> {
    assertDigest(digest);
    const unlinked = await this.meta.db.transaction().execute(async (tx) => {
      await queueBlobReviews(tx, [digest], Date.now());
      return unlinkBlob(tx, repository, digest);
    });
    if (!unlinked) throw new AppError('BLOB_UNKNOWN', undefined, { digest });
    await this.observers.afterDelete({ repository, digest });
  }
}
