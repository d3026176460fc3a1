import type { MetadataDb } from '../db/index.js';
import type { StorageDriver } from '../storage/index.js';
import { BlobService } from './blobs.js';
import { ManifestService } from './manifests.js';
import { UploadService } from './uploads.js';
import { listRepositories, repositoryExists } from './store/repositories.js';

export { assertRepositoryName, isRepositoryName, isTag } from './names.js';
export { assertDigest, parseDigest, blobPath, type DigestAlgorithm } from './digest.js';
export { rangeHeader, type ChunkRange } from './uploads.js';
export { mediaTypes, manifestMediaTypes } from './media-types.js';
export type { BlobService, ManifestService, UploadService };

/** The OCI distribution services over one metadata database and one storage backend. */
export class OciRegistry {
  readonly blobs: BlobService;
  readonly uploads: UploadService;
  readonly manifests: ManifestService;

  constructor(
    private readonly meta: MetadataDb,
    storage: StorageDriver,
  ) {
    this.blobs = new BlobService(meta, storage);
    this.uploads = new UploadService(meta, storage);
    this.manifests = new ManifestService(meta);
  }

  catalog(limit: number, last?: string): Promise<string[]> {
    return listRepositories(this.meta.db, limit, last);
  }

  hasRepository(name: string): Promise<boolean> {
    return repositoryExists(this.meta.db, name);
  }
}
export { purgeStaleUploads } from './purge.js';
