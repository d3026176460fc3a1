import type { ArcaConfig } from '../config/index.js';
import type { StorageDriver } from './driver.js';
import { FilesystemDriver } from './filesystem.js';
import { S3Driver } from './s3/index.js';

/** The storage driver the configuration selects. */
export function createStorage(storage: ArcaConfig['storage']): StorageDriver {
  switch (storage.driver) {
    case 'filesystem':
      return new FilesystemDriver(storage.filesystem.rootdirectory);
    case 's3':
      if (!storage.s3) throw new Error('storage: the s3 driver needs its storage.s3 parameters');
      return new S3Driver(storage.s3);
  }
}
