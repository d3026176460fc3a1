import type { ArcaConfig } from '../config/index.js';
import type { StorageDriver } from './driver.js';
import { FilesystemDriver } from './filesystem.js';
import { S3Driver, type S3DriverOptions } from './s3/index.js';

/** A backend as a location or a registry names it: one driver and its parameters. */
export interface BackendSpec {
  filesystem?: { rootdirectory: string };
  s3?: NonNullable<ArcaConfig['storage']['s3']>;
}

/** The driver for a backend spec. */
export function createDriver(spec: BackendSpec, options: S3DriverOptions = {}): StorageDriver {
  if (spec.s3) return new S3Driver(spec.s3, options);
  if (spec.filesystem) return new FilesystemDriver(spec.filesystem.rootdirectory);
  throw new Error('storage: a backend needs filesystem or s3 parameters');
}

/** The storage driver the configuration selects. */
export function createStorage(storage: ArcaConfig['storage'], options: S3DriverOptions = {}): StorageDriver {
  switch (storage.driver) {
    case 'filesystem':
      return new FilesystemDriver(storage.filesystem.rootdirectory);
    case 's3':
      if (!storage.s3) throw new Error('storage: the s3 driver needs its storage.s3 parameters');
      return new S3Driver(storage.s3, options);
  }
}
