import { randomUUID } from 'node:crypto';
import { AppError } from '../errors/index.js';
import {
  StorageNotFound,
  type BucketAdmin,
  type StorageDriver,
  type UploadedPart,
} from '../storage/index.js';
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

/** S3's bounds on a multipart upload: parts of 5 MiB to 5 GiB (the last may be smaller), 10,000 of them. */
const minPartSize = 5 * 1024 * 1024;
const maxPartSize = 5 * 1024 * 1024 * 1024;
const maxParts = 10_000;
/** The part size when the client asks for none. */
export const defaultPartSize = 32 * 1024 * 1024;
/** Part URLs handed out by one request. */
export const maxPartsPerRequest = 1_000;

/**
 * A presigned upload handed out: where and how to send the bytes, until when. Either one `url` for
 * the whole blob, or a multipart upload: `part_count` parts of `part_size` bytes (the last one the
 * rest), each sent to a URL asked for with `parts`.
 */
export interface PresignedUpload {
  id: string;
  method: 'PUT';
  url?: string;
  part_size?: number;
  part_count?: number;
  expires_at: string;
}

/** Part URLs for a multipart upload, and the parts the bucket holds already (a client resuming skips them). */
export interface PresignedParts {
  id: string;
  uploaded: UploadedPart[];
  urls: { number: number; url: string }[];
  expires_at: string;
}

/** How a client says how large a blob is, and in which parts it would like to send it. */
export interface UploadPlan {
  size?: number;
  partSize?: number;
}

/** What completing checks beyond the digest: the size the client meant, the parts it sent. */
export interface Completion {
  size?: number;
  /** Multipart uploads: the parts with the ETags their PUTs answered; empty: those the bucket holds. */
  parts?: { number: number; etag: string }[];
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

  /**
   * One presigned PUT, or, when the plan's size needs more than one part, a multipart upload at the
   * same staging path whose parts the client sends to URLs from `parts`.
   */
  async start(repository: string, plan: UploadPlan = {}): Promise<PresignedUpload> {
    const { bucket } = this.presigning(repository);
    const id = randomUUID();
    const expires_at = expiry();
    const { size } = plan;
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0))
      throw new AppError('SIZE_INVALID', 'size: expected a byte count');
    const partSize = size === undefined ? 0 : partSizeFor(size, plan.partSize);
    if (size === undefined || size <= partSize) {
      return {
        id,
        method: 'PUT',
        url: await bucket.presignPut(stagingPath(id), uploadUrlSeconds),
        expires_at,
      };
    }
    await bucket.startMultipart(stagingPath(id));
    return { id, method: 'PUT', part_size: partSize, part_count: Math.ceil(size / partSize), expires_at };
  }

  /** URLs for parts `numbers` of a multipart upload, and the parts stored so far. */
  async parts(repository: string, id: string, numbers: number[]): Promise<PresignedParts> {
    const { bucket } = this.presigning(repository);
    if (numbers.length > maxPartsPerRequest)
      throw new AppError('BLOB_UPLOAD_INVALID', `at most ${maxPartsPerRequest} parts a request`);
    for (const n of numbers) {
      if (!Number.isInteger(n) || n < 1 || n > maxParts)
        throw new AppError('BLOB_UPLOAD_INVALID', `part numbers go from 1 to ${maxParts}`);
    }
    const uploadId = await this.multipartOf(bucket, id);
    const uploaded = (await bucket.listParts(stagingPath(id), uploadId)) ?? [];
    const urls = await Promise.all(
      numbers.map(async (number) => ({
        number,
        url: await bucket.presignPart(stagingPath(id), uploadId, number, uploadUrlSeconds),
      })),
    );
    return { id, uploaded, urls, expires_at: expiry() };
  }

  /** Drop an upload: its multipart upload and parts, or its staging object. */
  async abort(repository: string, id: string): Promise<void> {
    const { driver, bucket } = this.presigning(repository);
    checkId(id);
    const uploadId = await bucket.findMultipart(stagingPath(id));
    if (uploadId) await bucket.abortMultipart(stagingPath(id), uploadId);
    await driver.delete(stagingPath(id));
  }

  /**
   * Verify and commit what was sent to the upload's URL (or, for a multipart upload, join its parts
   * first); returns the blob's size.
   */
  async complete(repository: string, id: string, digest: string, done: Completion = {}): Promise<number> {
    checkId(id);
    assertDigest(digest);
    const { driver, bucket } = this.presigning(repository);
    if (done.parts) await this.joinParts(bucket, id, done.parts);
    const staged = stagedObject(driver, id);
    if (done.size !== undefined) {
      const stored = await driver.stat(stagingPath(id));
      if (stored && stored.size !== done.size) {
        await staged.discard();
        throw new AppError('SIZE_INVALID', `${stored.size} bytes were uploaded, not ${done.size}`, {
          size: stored.size,
        });
      }
    }
    return commitStaged(
      this.meta.db,
      this.stores.storeFor(repository),
      repository,
      staged,
      digest,
      this.observers,
    );
  }

  /** The bucket's multipart upload behind an id; BLOB_UPLOAD_UNKNOWN when there is none (completed or aborted). */
  private async multipartOf(bucket: BucketAdmin, id: string): Promise<string> {
    checkId(id);
    const uploadId = await bucket.findMultipart(stagingPath(id));
    if (!uploadId)
      throw new AppError('BLOB_UPLOAD_UNKNOWN', 'no multipart upload open under this id', { uuid: id });
    return uploadId;
  }

  /** Complete the multipart upload from the parts the client names (or all it stored). */
  private async joinParts(bucket: BucketAdmin, id: string, named: { number: number; etag: string }[]) {
    const uploadId = await this.multipartOf(bucket, id);
    let parts: UploadedPart[] = named.map((p) => ({ number: p.number, size: 0, etag: p.etag }));
    if (parts.length === 0) parts = (await bucket.listParts(stagingPath(id), uploadId)) ?? [];
    if (parts.length === 0) throw new AppError('BLOB_UPLOAD_INVALID', 'no part was uploaded');
    for (const [i, p] of parts.entries()) {
      const previous = parts[i - 1];
      if (!Number.isInteger(p.number) || p.number < 1 || p.number > maxParts || typeof p.etag !== 'string')
        throw new AppError('BLOB_UPLOAD_INVALID', 'parts: each needs a number (1–10,000) and an etag');
      if (previous && previous.number >= p.number)
        throw new AppError('BLOB_UPLOAD_INVALID', 'parts: in ascending order, each once');
    }
    try {
      await bucket.completeMultipart(stagingPath(id), uploadId, parts);
    } catch (err) {
      const code = (err as { Code?: string; name?: string }).Code ?? (err as Error).name;
      if (code === 'InvalidPart' || code === 'InvalidPartOrder' || code === 'EntityTooSmall')
        throw new AppError('BLOB_UPLOAD_INVALID', `the bucket refused the parts (${code})`);
      throw err;
    }
  }

  private presigning(repository: string): { driver: StorageDriver; bucket: BucketAdmin } {
    const { driver } = this.stores.storeFor(repository);
    if (!driver.bucket) {
      throw new AppError('UNSUPPORTED', 'this store cannot take uploads through presigned URLs');
    }
    return { driver, bucket: driver.bucket };
  }
}

function expiry(): string {
  return new Date(Date.now() + uploadUrlSeconds * 1000).toISOString();
}

function checkId(id: string): void {
  if (!uploadIdPattern.test(id)) throw new AppError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id });
}

/** The part size for a blob: what the client asks for within S3's bounds, large enough for 10,000 parts. */
export function partSizeFor(size: number, wanted = defaultPartSize): number {
  if (!Number.isSafeInteger(wanted) || wanted < minPartSize || wanted > maxPartSize)
    throw new AppError('BLOB_UPLOAD_INVALID', `part_size: from ${minPartSize} to ${maxPartSize} bytes`);
  const partSize = Math.max(wanted, Math.ceil(size / maxParts));
  if (partSize > maxPartSize) throw new AppError('SIZE_INVALID', 'larger than 10,000 parts of 5 GiB');
  return partSize;
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
