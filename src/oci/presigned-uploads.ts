import { randomUUID } from 'node:crypto';
import { AppError } from '../errors/index.js';
import { StorageNotFound, type BucketAdmin, type StorageDriver } from '../storage/index.js';
import type { MetadataDb } from '../db/index.js';
import { assertDigest, newHash } from './digest.js';
import type { BlobObservers } from './blob-observers.js';
import { commitStaged, type StagedUpload } from './commit-staged.js';
import type { StoreRouter } from './stores.js';
import { uploadIdPattern } from './uploads.js';

/** How long a client has to send the bytes once it has the URL. */
export const uploadUrlSeconds = 15 * 60;

/** Where staging objects live in a store (garbage collection sweeps the abandoned ones). */
export const stagingPrefix = 'browser-uploads';

/** A presigned upload handed out: where and how to send the bytes, until when. */
export interface PresignedUpload {
  id: string;
  method: 'PUT';
  url: string;
  expires_at: string;
}

/**
 * Uploads whose bytes go straight to the repository's store through a presigned URL (a browser's
 * PUT to the bucket), bypassing Arca. The variant of `UploadService` for stores that can presign:
 * the staging object stands in for the resumable upload, and completing goes through the same
 * `commitStaged` (verify the digest by reading the object once, move it to its content address,
 * link it). Stateless until completed: the staging path is derived from the id, so nothing is
 * recorded; an abandoned staging object is the bucket's to expire.
 */
export class PresignedUploads {
  constructor(
    private readonly meta: MetadataDb,
    private readonly stores: StoreRouter,
    private readonly observers?: BlobObservers,
  ) {}

  /** Whether the repository's store can take presigned uploads. */
  available(repository: string): boolean {
    return this.stores.storeFor(repository).driver.bucket !== undefined;
  }

  async start(repository: string): Promise<PresignedUpload> {
    const { bucket } = this.presigning(repository);
    const id = randomUUID();
    const url = await bucket.presignPut(stagingPath(id), uploadUrlSeconds);
    return {
      id,
      method: 'PUT',
      url,
      expires_at: new Date(Date.now() + uploadUrlSeconds * 1000).toISOString(),
    };
  }

  /** Verify and commit what was sent to the upload's URL; returns the blob's size. */
  async complete(repository: string, id: string, digest: string): Promise<number> {
    if (!uploadIdPattern.test(id)) throw new AppError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id });
    assertDigest(digest);
    const { driver } = this.presigning(repository);
    const staged = stagedObject(driver, id);
    return commitStaged(
      this.meta.db,
      this.stores.storeFor(repository),
      repository,
      staged,
      digest,
      this.observers,
    );
  }

  private presigning(repository: string): { driver: StorageDriver; bucket: BucketAdmin } {
    const { driver } = this.stores.storeFor(repository);
    if (!driver.bucket) {
      throw new AppError('UNSUPPORTED', 'this store cannot take uploads through presigned URLs');
    }
    return { driver, bucket: driver.bucket };
  }
}

function stagingPath(id: string): string {
  return `${stagingPrefix}/${id}`;
}

/** A presigned upload as the commit step sees it: one staging object, no record. */
function stagedObject(driver: StorageDriver, id: string): StagedUpload {
  const staging = stagingPath(id);
  const drop = () => driver.delete(staging);
  return {
    measure: async (algorithm) => {
      const hash = newHash(algorithm);
      let size = 0;
      try {
        for await (const chunk of await driver.read(staging)) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
      } catch (err) {
        if (err instanceof StorageNotFound) {
          throw new AppError(
            'BLOB_UPLOAD_UNKNOWN',
            'nothing was uploaded to this URL (or it was completed already)',
            { uuid: id },
          );
        }
        throw err;
      }
      return { size, digest: `${algorithm}:${hash.digest('hex')}` };
    },
    moveTo: async (path) => {
      await driver.copy(staging, path);
      await drop();
    },
    dropBytes: drop,
    discard: drop,
  };
}
