import type { ArcaConfig } from '../config/index.js';
import type { StorageDriver } from './driver.js';
import { FilesystemDriver } from './filesystem.js';

/** The storage driver the configuration selects. */
export function createStorage(storage: ArcaConfig['storage']): StorageDriver {
  switch (storage.driver) {
    case 'filesystem':
      return new FilesystemDriver(storage.filesystem.rootdirectory);
    case 's3':
      throw new Error('storage: the s3 driver is not available in this version');
  }
}
