import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../db/index.js';
import { assetColumns } from './asset-columns.js';
import type { AssetKey } from '../kinds.js';
import type { AssetFilesTable, AssetVersionsTable } from '../tables.js';

export type VersionRow = Selectable<AssetVersionsTable>;
export type FileRow = Selectable<AssetFilesTable>;

export function getVersion(db: Executor, key: AssetKey, version: string): Promise<VersionRow | undefined> {
  return db
    .selectFrom('asset_versions')
    .selectAll()
    .where((eb) => eb.and(assetColumns(key)))
    .where('version', '=', version)
    .executeTakeFirst();
}

/** Insert; false when the version exists, or existed (a tombstone). */
export async function insertVersion(db: Executor, row: Insertable<AssetVersionsTable>): Promise<boolean> {
  const inserted = await db
    .insertInto('asset_versions')
    .values(row)
    .onConflict((oc) => oc.columns(['registry', 'kind', 'name', 'version']).doNothing())
    .returning('version')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function insertFiles(db: Executor, rows: Insertable<AssetFilesTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('asset_files')
      .values(rows.slice(i, i + 500))
      .execute();
  }
}

export function filesOf(db: Executor, key: AssetKey, version: string): Promise<FileRow[]> {
  return db
    .selectFrom('asset_files')
    .selectAll()
    .where((eb) => eb.and(assetColumns(key)))
    .where('version', '=', version)
    .orderBy('position')
    .execute();
}

export function fileAt(
  db: Executor,
  key: AssetKey,
  version: string,
  path: string,
): Promise<FileRow | undefined> {
  return db
    .selectFrom('asset_files')
    .selectAll()
    .where((eb) => eb.and(assetColumns(key)))
    .where('version', '=', version)
    .where('path', '=', path)
    .executeTakeFirst();
}

/** Published versions, newest first, after the cursor `(created_at, version)`. */
export function listVersions(
  db: Executor,
  key: AssetKey,
  limit: number,
  after?: { createdAt: number; version: string },
): Promise<VersionRow[]> {
  let q = db
    .selectFrom('asset_versions')
    .selectAll()
    .where((eb) => eb.and(assetColumns(key)))
    .where('state', '=', 'published');
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('version', '<', after.version)]),
      ]),
    );
  }
  return q.orderBy('created_at', 'desc').orderBy('version', 'desc').limit(limit).execute();
}

/** The most recently published version still there. */
export async function newestVersion(db: Executor, key: AssetKey): Promise<string | null> {
  const row = await db
    .selectFrom('asset_versions')
    .select('version')
    .where((eb) => eb.and(assetColumns(key)))
    .where('state', '=', 'published')
    .orderBy('created_at', 'desc')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.version ?? null;
}

/** Published versions of an asset whose manifest is `digest`. */
export async function versionsWithDigest(db: Executor, key: AssetKey, digest: string): Promise<string[]> {
  const rows = await db
    .selectFrom('asset_versions')
    .select('version')
    .where((eb) => eb.and(assetColumns(key)))
    .where('digest', '=', digest)
    .where('state', '=', 'published')
    .execute();
  return rows.map((r) => r.version);
}

/** The published version whose manifest digest starts with `prefix` (a Hub commit id names one so). */
export async function versionWithDigestPrefix(
  db: Executor,
  key: AssetKey,
  prefix: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('asset_versions')
    .select('version')
    .where((eb) => eb.and(assetColumns(key)))
    .where('digest', 'like', `${prefix}%`)
    .where('state', '=', 'published')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.version;
}

/** Turn a version into a tombstone: its number stays taken, its files and labels go. */
export async function tombstone(db: Executor, key: AssetKey, version: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('asset_versions')
    .set({ state: 'deleted', deleted_at: now })
    .where((eb) => eb.and(assetColumns(key)))
    .where('version', '=', version)
    .where('state', '=', 'published')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  await db
    .deleteFrom('asset_files')
    .where((eb) => eb.and(assetColumns(key)))
    .where('version', '=', version)
    .execute();
  await db
    .deleteFrom('asset_labels')
    .where((eb) => eb.and(assetColumns(key)))
    .where('version', '=', version)
    .execute();
  return true;
}
