import type { AssetObservers } from './asset-observers.js';
import type { Executor } from '../db/index.js';
import { LATEST, assetRepository, type AssetKey } from './kinds.js';
import type { AssetMetadata } from './metadata.js';
import type { AssetFormat, RecognizedFile } from './recognize.js';
import { insertAsset, updateAsset } from './store/assets.js';
import { setLabel } from './store/labels.js';
import { insertLineage, type VersionKey } from './store/lineage.js';
import { cardTerms, replaceTerms } from './store/terms.js';
import { insertFiles, insertVersion, newestVersion, tombstone } from './store/versions.js';

/** Everything recorded of one version, from a publish or from a recognized push. */
export interface VersionRecord extends AssetMetadata {
  key: AssetKey;
  version: string;
  digest: string;
  format: AssetFormat;
  type: string | null;
  card: Record<string, unknown> | null;
  spec: Record<string, unknown> | null;
  flags: string[];
  files: RecognizedFile[];
  lineage: VersionKey[];
  by: string | null;
  now: number;
}

/**
 * Record a version (its asset created on first use), its files and lineage, and move `latest` to
 * it, on the executor given (the manifest put's transaction). False when the version exists or
 * existed: nothing is written then, and the caller rolls back.
 */
export async function recordVersion(
  db: Executor,
  r: VersionRecord,
  /** Told of the version in the same transaction (an `asset.published` event commits with it). */
  observers?: AssetObservers,
): Promise<boolean> {
  const { key, now } = r;
  const createdAsset = await insertAsset(db, {
    ...key,
    description: r.description,
    tags: JSON.stringify(r.tags),
    properties: JSON.stringify(r.properties),
    latest_version: null,
    created_at: now,
    updated_at: now,
    created_by: r.by,
  });
  const inserted = await insertVersion(db, {
    ...key,
    version: r.version,
    state: 'published',
    digest: r.digest,
    format: r.format,
    description: r.description,
    tags: JSON.stringify(r.tags),
    properties: JSON.stringify(r.properties),
    type: r.type,
    card: r.card ? JSON.stringify(r.card) : null,
    spec: r.spec ? JSON.stringify(r.spec) : null,
    flags: r.flags.length > 0 ? JSON.stringify(r.flags) : null,
    created_at: now,
    created_by: r.by,
    deleted_at: null,
  });
  if (!inserted) return false;
  if (createdAsset) {
    // An asset created by its first version takes that version's tags and properties.
    await replaceTerms(db, key, 'tag', r.tags);
    await replaceTerms(db, key, 'property', r.properties);
  }
  await insertFiles(
    db,
    r.files.map((f, position) => ({
      ...key,
      version: r.version,
      position,
      path: f.path,
      size: f.size,
      digest: f.digest,
      media_type: f.mediaType,
    })),
  );
  await insertLineage(db, { ...key, version: r.version }, r.lineage);
  await updateAsset(db, key, { latest_version: r.version, updated_at: now });
  await setLabel(db, key, LATEST, r.version, now);
  if (r.card) await replaceTerms(db, key, 'card', cardTerms(r.card));
  await observers?.inPublished(db, {
    ...key,
    version: r.version,
    repository: assetRepository(key.registry, key.kind, key.name),
    digest: r.digest,
    format: r.format,
  });
  return true;
}

/** Tombstone a version and move `latest` to the newest version left (or drop it). */
export async function removeVersion(
  db: Executor,
  key: AssetKey,
  version: string,
  now: number,
): Promise<boolean> {
  if (!(await tombstone(db, key, version, now))) return false;
  const newest = await newestVersion(db, key);
  await updateAsset(db, key, { latest_version: newest, updated_at: now });
  if (newest !== null) await setLabel(db, key, LATEST, newest, now);
  return true;
}
