import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../db/index.js';
import { assetColumns } from './asset-columns.js';
import type { AssetKey } from '../kinds.js';
import type { AssetsTable } from '../tables.js';

export type AssetRow = Selectable<AssetsTable>;

export function getAsset(db: Executor, key: AssetKey): Promise<AssetRow | undefined> {
  return db
    .selectFrom('assets')
    .selectAll()
    .where((eb) => eb.and(assetColumns(key)))
    .executeTakeFirst();
}

/** Insert; false when the asset exists. */
export async function insertAsset(db: Executor, row: Insertable<AssetsTable>): Promise<boolean> {
  const inserted = await db
    .insertInto('assets')
    .values(row)
    .onConflict((oc) => oc.columns(['registry', 'kind', 'name']).doNothing())
    .returning('name')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function updateAsset(
  db: Executor,
  key: AssetKey,
  set: Partial<Pick<AssetsTable, 'description' | 'tags' | 'properties' | 'latest_version' | 'updated_at'>>,
): Promise<void> {
  await db
    .updateTable('assets')
    .set(set)
    .where((eb) => eb.and(assetColumns(key)))
    .execute();
  if (set.updated_at !== undefined) {
    await db
      .updateTable('asset_terms')
      .set({ updated_at: set.updated_at })
      .where((eb) => eb.and(assetColumns(key)))
      .execute();
  }
}

export async function countAssetsIn(db: Executor, registry: string): Promise<number> {
  const row = await db
    .selectFrom('assets')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('registry', '=', registry)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Every row of every asset of a registry (the registry is being deleted with its content). */
export async function deleteAssetsIn(db: Executor, registry: string): Promise<void> {
  for (const table of [
    'asset_lineage',
    'asset_labels',
    'asset_files',
    'asset_versions',
    'asset_terms',
    'assets',
  ] as const) {
    await db.deleteFrom(table).where('registry', '=', registry).execute();
  }
}
