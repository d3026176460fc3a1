import type { S3Client, ServerSideEncryption, StorageClass, ObjectCannedACL } from '@aws-sdk/client-s3';
import type { S3StorageConfig } from '../../config/index.js';
import { Keys } from './keys.js';

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
  };
}
