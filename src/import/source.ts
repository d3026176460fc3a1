import type { Readable } from 'node:stream';
import type { StorageDriver } from '../storage/index.js';

/**
 * A registry:2 storage tree, read-only: the three reads the import needs, over paths relative to
 * the driver's root directory (the registry:2 `rootdirectory`, under which `docker/registry/v2` lies).
 * Nothing here can write, so an import cannot change its source whatever the driver.
 */
export interface SourceTree {
  /** What to call the source in messages, e.g. `/var/lib/registry (filesystem)`. */
  readonly description: string;
  /** The local directory of a filesystem source, to refuse an Arca that would write inside it. */
  readonly localRoot?: string;
  /** Size of an object, or null when absent. */
  stat(path: string): Promise<{ size: number } | null>;
  /** Stream an object; throws StorageNotFound when absent. */
  read(path: string): Promise<Readable>;
  /** Every object under a prefix, in no particular order. */
  list(prefix: string): AsyncIterable<string>;
  /** Release connections (an object store's client), when the source has any. */
  close?(): void;
}

/**
 * A read-only view of any storage driver, e.g. a filesystem driver at `rootdirectory`, or an s3
 * driver whose `rootdirectory` is the registry:2 one.
 */
export function driverSource(driver: StorageDriver, description: string, localRoot?: string): SourceTree {
  return {
    description,
    localRoot,
    stat: (path) => driver.stat(path),
    read: (path) => driver.read(path),
    list: (prefix) => driver.list(prefix),
  };
}
