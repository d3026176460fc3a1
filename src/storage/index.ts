export type {
  StorageDriver,
  StorageBackend,
  StorageKind,
  ObjectStore,
  UploadStore,
  BucketAdmin,
  ByteRange,
  ObjectAddress,
  UploadedPart,
} from './driver.js';
export { StorageNotFound, StorageConflict, InvalidStoragePath } from './errors.js';
export { CheckedStorage } from './checked-storage.js';
export { StorageMetrics } from './storage-metrics.js';
export { FilesystemDriver } from './filesystem/index.js';
export { createStorage, createDriver, type BackendSpec, type StorageOptions } from './create.js';
export { S3Driver, createS3Client, createHttpsAgent, endpointOf } from './s3/index.js';
