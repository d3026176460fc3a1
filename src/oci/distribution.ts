import type { MetadataDb } from '../db/index.js';
import { BlobService } from './blobs.js';
import { ManifestService } from './manifests.js';
import { UploadService } from './uploads.js';
import { defaultUploadLimits, type UploadLimits } from './upload-limits.js';
import { PresignedUploads } from './presigned-uploads.js';
import { blobsIn, forgetLocation } from './store/blob-locations.js';
import {
  deleteRepositoryRows,
  listRepositories,
  repositoriesUnder,
  repositoryExists,
} from './store/repositories.js';
import { countUploads } from './store/uploads.js';
import type { StoreRouter } from './stores.js';

/** The OCI distribution services over one metadata database and the stores repositories write to. */
export class Distribution {
  readonly blobs: BlobService;
  readonly uploads: UploadService;
  /** Uploads sent straight to a store through a presigned URL; committed like `uploads`. */
  readonly presignedUploads: PresignedUploads;
  readonly manifests: ManifestService;

  constructor(
    private readonly meta: MetadataDb,
    stores: StoreRouter,
    uploadLimits: UploadLimits = defaultUploadLimits,
    /** The location this server runs in (the configuration's `location`), which blob reads prefer. */
    here?: string,
  ) {
    // One set of blob observers for every way a blob comes in, goes or is read.
    this.blobs = new BlobService(meta, stores, undefined, here);
    this.uploads = new UploadService(meta, stores, uploadLimits, this.blobs.observers);
    this.presignedUploads = new PresignedUploads(meta, stores, this.blobs.observers);
    this.manifests = new ManifestService(meta);
  }

  catalog(limit: number, last?: string): Promise<string[]> {
    return listRepositories(this.meta.db, limit, last);
  }

  /** Upload sessions open now, across every repository (a gauge). */
  uploadsInProgress(): Promise<number> {
    return countUploads(this.meta.db);
  }

  hasRepository(name: string): Promise<boolean> {
    return repositoryExists(this.meta.db, name);
  }

  /**
   * Repositories whose first path segment is `segment` (or named just that), at most `limit`: those
   * a registry of that name holds, or would take over.
   */
  repositoriesUnder(segment: string, limit: number): Promise<string[]> {
    return repositoriesUnder(this.meta.db, segment, limit);
  }

  /** Digests of the blobs whose bytes `location` holds. */
  blobsIn(location: string): Promise<string[]> {
    return blobsIn(this.meta.db, location);
  }

  /** Forget every blob `location` held: its bytes are gone (a registry's own backend, deleted). */
  forgetLocation(location: string): Promise<void> {
    return forgetLocation(this.meta.db, location);
  }

  /**
   * Remove repositories with their tags, manifests and blob links, each in one transaction (a
   * registry deleted with its content). Blob bytes are left to garbage collection.
   */
  async deleteRepositories(names: readonly string[]): Promise<void> {
    for (const name of names) {
      await this.meta.db.transaction().execute((tx) => deleteRepositoryRows(tx, name));
    }
  }
}
