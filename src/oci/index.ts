import type { BlobService } from './blobs.js';
import type { ManifestService } from './manifests.js';
import type { UploadService } from './uploads.js';
import type { PresignedUploads } from './presigned-uploads.js';

export { assertRepositoryName, isRepositoryName, isTag } from './names.js';
export {
  assertDigest,
  parseDigest,
  blobPath,
  newHash,
  digestOf,
  isDigest,
  type DigestAlgorithm,
} from './digest.js';
export { rangeHeader, type ChunkRange } from './uploads.js';
export { defaultUploadLimits, type UploadLimits } from './upload-limits.js';
export { mediaTypes, manifestMediaTypes } from './media-types.js';
export type { BlobService, ManifestService, UploadService, PresignedUploads };
export type {
  ManifestObserver,
  ManifestPull,
  ManifestPut,
  ManifestRemoval,
  PutOptions,
  PutResult,
} from './manifests.js';
export type { ParsedManifest, Descriptor } from './manifest.js';
export { parseManifest } from './manifest.js';
export type { Completion, PresignedParts, PresignedUpload, UploadPlan } from './presigned-uploads.js';
export { maxPartsPerRequest } from './presigned-uploads.js';
export type { BlobBody } from './blobs.js';
export { Distribution as Distribution } from './distribution.js';
export { purgeStaleUploads } from './purge.js';
export type { BlobStore, StoreRouter } from './stores.js';
export type { OciTables } from './tables.js';
export { GarbageCollector, type GcReport } from './gc/collector.js';
export { GcMetrics } from './gc/gc-metrics.js';
export type { ManifestHold } from './gc/decide.js';
export { fsck, type FsckReport, type FsckProblem } from './gc/fsck.js';
export type { BlobObserver, BlobLink, BlobPull, BlobRemoval } from './blob-observers.js';
export {
  Replicator,
  replicateKind,
  type ReplicationJob,
  type ReplicationEvent,
  type ReplicationObserver,
  type LocationReplication,
  type CopyQueue,
} from './replication/replicator.js';
export { copyBlob, type CopyMethod } from './replication/copy-blob.js';
