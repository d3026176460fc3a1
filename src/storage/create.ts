import type { ArcaConfig } from '../config/index.js';
import { CheckedStorage } from './checked-storage.js';
import type { StorageBackend, StorageDriver } from './driver.js';
import { FilesystemDriver } from './filesystem/index.js';
import { S3Driver, type S3DriverOptions } from './s3/index.js';
import type { StorageMetrics } from './storage-metrics.js';

/** A backend as a location or a registry names it: one driver and its parameters. */
export interface BackendSpec {
  filesystem?: { rootdirectory: string };
  s3?: NonNullable<ArcaConfig['storage']['s3']>;
}

export interface StorageOptions extends S3DriverOptions {
  /** Where the storage layer counts operations (the server's); counted unexposed when absent. */
  metrics?: StorageMetrics;
}

function backendFor(spec: BackendSpec, options: StorageOptions): StorageBackend {
  if (spec.s3) return new S3Driver(spec.s3, options);
  if (spec.filesystem) return new FilesystemDriver(spec.filesystem.rootdirectory);
  throw new Error('storage: a backend needs filesystem or s3 parameters');
}

/** The driver for a backend spec, in the storage layer (paths checked, errors normalised, counted). */
export function createDriver(spec: BackendSpec, options: StorageOptions = {}): StorageDriver {
  return new CheckedStorage(backendFor(spec, options), options.metrics);
}

/** The storage driver the configuration selects, in the storage layer. */
export function createStorage(storage: ArcaConfig['storage'], options: StorageOptions = {}): StorageDriver {
  switch (storage.driver) {
    case 'filesystem':
      return createDriver({ filesystem: storage.filesystem }, options);
    case 's3':
      if (!storage.s3) throw new Error('storage: the s3 driver needs its storage.s3 parameters');
      return createDriver({ s3: storage.s3 }, options);
  }
}
