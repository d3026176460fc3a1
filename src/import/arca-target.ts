import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { sqliteFileOf, type ArcaConfig, type S3StorageConfig } from '../config/index.js';
import { endpointOf } from '../storage/index.js';
import type { Distribution } from '../oci/index.js';
import { openCore } from '../core.js';

/** Arca's own storage and database, opened as `arca serve` opens them. */
export interface ArcaTarget {
  readonly distribution: Distribution;
  close(): Promise<void>;
}

function real(path: string): string {
  const absolute = resolve(path);
  return existsSync(absolute) ? realpathSync.native(absolute) : absolute;
}

function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Refuse an Arca that would write inside the source tree (or hold it inside its own storage):
 * a registry:2 config left in REGISTRY_CONFIGURATION_PATH would otherwise make Arca's storage the source.
 */
export function assertSeparate(sourceRoot: string, config: ArcaConfig): void {
  const source = real(sourceRoot);
  if (config.storage.driver === 'filesystem') {
    const storage = real(config.storage.filesystem.rootdirectory);
    if (within(storage, source) || within(source, storage)) {
      throw new Error(
        `Arca's storage (${storage}) and the source (${source}) overlap: the import never writes into its source; point Arca's config (--arca-config) at another storage.filesystem.rootdirectory`,
      );
    }
  }
  const db = sqliteFileOf(config.database.url);
  if (db && within(real(db), source)) {
    throw new Error(
      `Arca's database (${real(db)}) lies inside the source (${source}): choose another database.url`,
    );
  }
}

/** A bucket's root directory as key prefix segments ('' for the whole bucket). */
function rootOf(config: S3StorageConfig): string {
  return config.rootdirectory.replace(/^\/+|\/+$/g, '');
}

function prefixesOverlap(a: string, b: string): boolean {
  return a === '' || b === '' || a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** The same bucket at the same endpoint (or the same AWS region without one). */
function sameBucket(a: S3StorageConfig, b: S3StorageConfig): boolean {
  const where = (c: S3StorageConfig) =>
    (endpointOf(c) ?? `aws:${c.region}`).replace(/\/+$/, '').toLowerCase();
  return a.bucket === b.bucket && where(a) === where(b);
}

/** Refuse an Arca that keeps its bytes (by default or in a location) under the source bucket's tree. */
export function assertSeparateBucket(source: S3StorageConfig, config: ArcaConfig): void {
  const targets = [
    ...(config.storage.driver === 's3' && config.storage.s3 ? [config.storage.s3] : []),
    ...Object.values(config.locations).flatMap((l) => (l.storage.s3 ? [l.storage.s3] : [])),
  ];
  for (const target of targets) {
    if (sameBucket(source, target) && prefixesOverlap(rootOf(source), rootOf(target))) {
      throw new Error(
        `Arca's storage (bucket ${JSON.stringify(target.bucket)}, rootdirectory ${JSON.stringify(target.rootdirectory)}) and the source overlap: the import never writes into its source; give Arca another bucket or a rootdirectory outside the source's`,
      );
    }
  }
}

/**
 * Open Arca's storage and database for an import. A dry run writes nothing: it skips the storage's
 * write probe and, when the SQLite database does not exist yet, compares against an empty one.
 */
export async function openArca(config: ArcaConfig, dryRun: boolean): Promise<ArcaTarget> {
  if (!dryRun && config.storage.maintenance.readonly.enabled) {
    throw new Error("Arca's storage is in read-only maintenance mode (storage.maintenance.readonly.enabled)");
  }
  const file = sqliteFileOf(config.database.url);
  const keyFile = join(config.datadir, 'credentials.key');
  // Repositories land where a push would put them: in their registry's primary location.
  const core = await openCore(config, {
    databaseUrl: dryRun && file !== null && !existsSync(file) ? 'sqlite::memory:' : undefined,
    // A dry run must not create the key file a later server would adopt: with none yet there is
    // nothing sealed to open, so a throwaway key stands in.
    keyEnv:
      dryRun && !process.env.ARCA_MASTER_KEY && !existsSync(keyFile)
        ? { ARCA_MASTER_KEY: randomBytes(32).toString('hex') }
        : undefined,
    pingStorage: !dryRun,
  });
  return core;
}
