import type { S3StorageConfig } from '../config/index.js';
import { createDriver, endpointOf } from '../storage/index.js';
import { driverSource, type SourceTree } from './source.js';

/** `s3://bucket/root (endpoint)`: the source as messages name it. */
export function describeS3(config: S3StorageConfig): string {
  const root = config.rootdirectory.replace(/^\/+|\/+$/g, '');
  const where = endpointOf(config) ?? `region ${config.region}`;
  return `s3://${config.bucket}${root ? `/${root}` : ''} (${where})`;
}

/**
 * A registry:2 tree in an S3 bucket, read through Arca's s3 driver built with registry:2's own
 * `storage.s3` keys (its `rootdirectory` is the tree's root). The bucket is checked first, so a
 * wrong key, a missing bucket or an unreachable endpoint is reported before anything else.
 */
export async function s3Source(config: S3StorageConfig): Promise<SourceTree> {
  const driver = createDriver({ s3: config });
  const description = describeS3(config);
  try {
    await driver.ping();
  } catch (err) {
    driver.close?.();
    throw new Error(`source ${description} is not usable: ${(err as Error).message}`, { cause: err });
  }
  // The driver only reads here: stat, list and read (HEAD, LIST, GET) write nothing to the bucket.
  return { ...driverSource(driver, description), close: () => driver.close?.() };
}
