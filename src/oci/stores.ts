import type { StorageDriver } from '../storage/index.js';

/** A place blob bytes live: a location's name (or `default`) and its backend. */
export interface BlobStore {
  location: string;
  driver: StorageDriver;
}

/**
 * Which store a repository's bytes go to and come from. A repository belongs to one registry and a
 * registry writes to its primary location, so the answer never changes for a repository.
 */
export interface StoreRouter {
  storeFor(repository: string): BlobStore;
  /** Every store in use (for purging uploads). */
  all(): BlobStore[];
  /**
   * Every location that should hold a repository's blobs (its primary and its additional locations);
   * without it, the primary alone. Garbage collection keeps a blob wherever this says.
   */
  locationsFor?(repository: string): string[];
  /** The driver of a location by name, or undefined when it is not usable now (GC deletes through it). */
  driverOf?(location: string): StorageDriver | undefined;
}
