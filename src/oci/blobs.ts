import type { Readable } from 'node:stream';
import { AppError } from '../errors/index.js';
import { StorageNotFound, type ByteRange } from '../storage/index.js';
import type { MetadataDb } from '../db/index.js';
import { assertDigest, blobPath } from './digest.js';
import { linkedBlobSize, unlinkBlob } from './store/blobs.js';
import { blobSizeIn } from './store/blob-locations.js';
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

  /** Open a blob's bytes, or a range of them; BLOB_UNKNOWN when the storage does not have them. */
  async read(repository: string, digest: string, range?: ByteRange): Promise<BlobBody> {
    const driver = this.stores.storeFor(repository).driver;
    try {
      if (driver.open) return { fd: await driver.open(blobPath(digest)) };
      return { stream: await driver.read(blobPath(digest), range) };
    } catch (err) {
      if (err instanceof StorageNotFound) throw new AppError('BLOB_UNKNOWN', undefined, { digest });
      throw err;
    }
  }

  /** A presigned URL for the blob when the backend can give one. */
  async redirectURL(repository: string, digest: string): Promise<string | null> {
    const driver = this.stores.storeFor(repository).driver;
    return driver.redirectURL ? driver.redirectURL(blobPath(digest)) : null;
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
