/** The OCI distribution tables: repositories, blobs, where they are and their links, manifests, tags, uploads. */

export interface RepositoriesTable {
  name: string;
  created_at: number;
}

export interface BlobsTable {
  digest: string;
  size: number;
  created_at: number;
}

/**
 * Which location (a configured one, or a registry's own backend) holds which blob's bytes: written
 * in the transaction that links a blob, so a blob is linked only where its bytes are; the record
 * replication and location-aware reads work from.
 */
export interface BlobLocationsTable {
  location: string;
  digest: string;
  created_at: number;
}

/** A blob is visible in a repository only through a link row. */
export interface RepositoryBlobsTable {
  repository: string;
  digest: string;
  created_at: number;
}

export interface ManifestsTable {
  repository: string;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject: string | null;
  /** JSON text of the manifest's annotations, for the referrers API. */
  annotations: string | null;
  size: number;
  payload: Buffer;
  created_at: number;
}

/** What a manifest points to: its config and layers (kind 'blob') or its children (kind 'manifest'). */
export interface ManifestReferencesTable {
  repository: string;
  manifest_digest: string;
  child_digest: string;
  kind: 'blob' | 'manifest';
}

export interface TagsTable {
  repository: string;
  name: string;
  digest: string;
  updated_at: number;
}

export interface UploadsTable {
  id: string;
  repository: string;
  created_at: number;
  /** `user:<name>` or `address:<ip>`; null for the server's own uploads (imports). */
  opened_by: string | null;
}

/**
 * Garbage collection's review queue of blobs: each row a blob that may have lost its last reference,
 * `since` the latest event that concerned it (an unlink, or a re-reference pushing it forward). It is
 * reviewed once `since` is older than the grace period.
 */
export interface GcBlobReviewsTable {
  digest: string;
  since: number;
}

/** The review queue of manifests (untagged, unreferenced by an index, a referrer's subject gone). */
export interface GcManifestReviewsTable {
  repository: string;
  digest: string;
  since: number;
}

/** A browser upload's staging object as GC first saw it (the object itself has no row, nor a usable age). */
export interface GcStagingSeenTable {
  location: string;
  path: string;
  first_seen: number;
}

/**
 * A copy replication still owes: `location` (an additional location of the repository's registry)
 * lacks the blob `source` holds. Written with the link (or the location's addition) that needs it,
 * removed when the copy is recorded in `blob_locations`; `last_error` is the latest failed attempt's.
 */
export interface ReplicationCopiesTable {
  location: string;
  digest: string;
  repository: string;
  source: string;
  size: number;
  created_at: number;
  attempts: number;
  last_error: string | null;
  last_error_at: number | null;
}

/** This room's tables, by name: its part of the metadata database. */
export interface OciTables {
  repositories: RepositoriesTable;
  blobs: BlobsTable;
  blob_locations: BlobLocationsTable;
  repository_blobs: RepositoryBlobsTable;
  manifests: ManifestsTable;
  manifest_references: ManifestReferencesTable;
  tags: TagsTable;
  uploads: UploadsTable;
  gc_blob_reviews: GcBlobReviewsTable;
  gc_manifest_reviews: GcManifestReviewsTable;
  gc_staging_seen: GcStagingSeenTable;
  replication_copies: ReplicationCopiesTable;
}
