import type { Readable } from 'node:stream';
import { AppError } from '../errors/index.js';
import { StorageNotFound, type ByteRange, type StorageDriver } from '../storage/index.js';
import type { MetadataDb } from '../db/index.js';
import { assertDigest, blobPath } from './digest.js';
import { ensureRepository } from './store/repositories.js';
import { blobSize, linkBlob, linkedBlobSize, unlinkBlob } from './store/blobs.js';

export class BlobService {
  constructor(
    private readonly meta: MetadataDb,
    private readonly storage: StorageDriver,
  ) {}

  /** Size of a blob in a repository; BLOB_UNKNOWN when the repository does not have it. */
  async stat(repository: string, digest: string): Promise<number> {
    assertDigest(digest);
    const size = await linkedBlobSize(this.meta.db, repository, digest);
    if (size === undefined) throw new AppError('BLOB_UNKNOWN', undefined, { digest });
    return size;
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    try {
      return await this.storage.read(blobPath(digest), range);
    } catch (err) {
      if (err instanceof StorageNotFound) throw new AppError('BLOB_UNKNOWN', undefined, { digest });
      throw err;
    }
  }

  /** A presigned URL for the blob when the backend can give one. */
  async redirectURL(digest: string): Promise<string | null> {
    return this.storage.redirectURL ? this.storage.redirectURL(blobPath(digest)) : null;
  }

  /** Link a blob that `from` has into `repository`; false when `from` does not have it. */
  async mount(repository: string, digest: string, from: string): Promise<boolean> {
    assertDigest(digest);
    const size = await linkedBlobSize(this.meta.db, from, digest);
    if (size === undefined) return false;
    const now = Date.now();
    await this.meta.db.transaction().execute(async (tx) => {
      await ensureRepository(tx, repository, now);
      await linkBlob(tx, repository, digest, size, now);
    });
    return true;
  }

  /**
   * Link a blob this registry already holds (recorded and stored, so verified once) into a
   * repository, wherever it came from; false when it holds no such blob. For administrative copies
   * such as imports, which are not bound by the repository-to-repository rule of a client's mount.
   */
  async adopt(repository: string, digest: string): Promise<boolean> {
    assertDigest(digest);
    const size = await blobSize(this.meta.db, digest);
    if (size === undefined) return false;
    const stored = await this.storage.stat(blobPath(digest));
    if (stored?.size !== size) return false;
    const now = Date.now();
    await this.meta.db.transaction().execute(async (tx) => {
      await ensureRepository(tx, repository, now);
      await linkBlob(tx, repository, digest, size, now);
    });
    return true;
  }

  /** Remove a blob from a repository. The bytes stay until garbage collection finds them unused. */
  async delete(repository: string, digest: string): Promise<void> {
    assertDigest(digest);
    if (!(await unlinkBlob(this.meta.db, repository, digest))) {
      throw new AppError('BLOB_UNKNOWN', undefined, { digest });
    }
  }
}
