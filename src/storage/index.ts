export type { StorageDriver, ByteRange } from './driver.js';
export { StorageNotFound, StorageConflict, checkPath } from './driver.js';
export { FilesystemDriver } from './filesystem.js';
export { createStorage, createDriver, type BackendSpec } from './create.js';
export { S3Driver, createS3Client, createHttpsAgent, endpointOf } from './s3/index.js';
