import type { S3Client, ServerSideEncryption, StorageClass, ObjectCannedACL } from '@aws-sdk/client-s3';
import type { S3StorageConfig } from '../../config/index.js';
import { Keys } from './keys.js';
import { Budget, BufferPool } from './limit.js';
import { PartCache } from './part-cache.js';
import { partSize } from './part-size.js';

/**
 * Uploads that may send a part while receiving the next, at once: each holds a second part buffer,
 * so this bounds the memory that overlap costs (8 × `chunksize`).
 */
const SPARE_PART_BUFFERS = 8;
/** Part buffers kept for reuse between requests (4 × `chunksize`). */
const IDLE_PART_BUFFERS = 4;

/** Headers every write of a new object carries (storage class, encryption, ACL). */
export interface WriteParams {
  StorageClass?: StorageClass;
  ServerSideEncryption?: ServerSideEncryption;
  SSEKMSKeyId?: string;
  ACL?: ObjectCannedACL;
}

/** What every S3 module needs: the client, the bucket, the key layout and the tuning keys. */
export interface S3Context {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keys: Keys;
  /** `chunksize`: the first parts' size for uploads started from now on. */
  readonly chunkSize: number;
  readonly write: WriteParams;
  readonly copy: { chunkSize: number; threshold: number; concurrency: number };
  /** Parts of live uploads already listed and checked. */
  readonly parts: PartCache;
  /** Second part buffers uploads may hold, to overlap sending a part with receiving the next. */
  readonly spareParts: Budget;
  /** Idle part buffers, reused by the next appends. */
  readonly buffers: BufferPool;
}

export function createContext(client: S3Client, config: S3StorageConfig): S3Context {
  const write: WriteParams = {};
  // registry:2 sends no storage class for NONE.
  if (config.storageclass && config.storageclass !== 'NONE') {
    write.StorageClass = config.storageclass as StorageClass;
  }
  if (config.encrypt) {
    write.ServerSideEncryption = config.keyid ? 'aws:kms' : 'AES256';
    if (config.keyid) write.SSEKMSKeyId = config.keyid;
  }
  // Only when asked for: buckets with ACLs disabled refuse any ACL header but the owner's.
  if (config.objectacl) write.ACL = config.objectacl as ObjectCannedACL;
  return {
    client,
    bucket: config.bucket,
    keys: new Keys(config.rootdirectory),
    chunkSize: config.chunksize,
    write,
    copy: {
      chunkSize: config.multipartcopychunksize,
      threshold: config.multipartcopythresholdsize,
      concurrency: config.multipartcopymaxconcurrency,
    },
    parts: new PartCache(),
    spareParts: new Budget(SPARE_PART_BUFFERS),
    buffers: new BufferPool(IDLE_PART_BUFFERS * partSize(1, config.chunksize)),
  };
}
