import type { Executor } from '../../db/index.js';
import { assetColumns } from './asset-columns.js';
import type { AssetKey } from '../kinds.js';

export async function setLabel(db: Executor, key: AssetKey, label: string, version: string, now: number) {
  await db
    .insertInto('asset_labels')
    .values({ ...key, label, version, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['registry', 'kind', 'name', 'label']).doUpdateSet({ version, updated_at: now }),
    )
    .execute();
}

export async function deleteLabel(db: Executor, key: AssetKey, label: string): Promise<boolean> {
  const result = await db
    .deleteFrom('asset_labels')
    .where((eb) => eb.and(assetColumns(key)))
    .where('label', '=', label)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function labelsOf(db: Executor, key: AssetKey): Promise<{ label: string; version: string }[]> {
  return db
    .selectFrom('asset_labels')
    .select(['label', 'version'])
    .where((eb) => eb.and(assetColumns(key)))
    .orderBy('label')
    .execute();
}

export async function labelVersion(db: Executor, key: AssetKey, label: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('asset_labels')
    .select('version')
    .where((eb) => eb.and(assetColumns(key)))
    .where('label', '=', label)
    .executeTakeFirst();
  return row?.version;
}

/** The labels of several assets of one registry and kind, in one query. */
export async function labelsOfMany(
  db: Executor,
  registry: string,
  kind: string,
  names: string[],
): Promise<Map<string, { label: string; version: string }[]>> {
  const out = new Map<string, { label: string; version: string }[]>(names.map((n) => [n, []]));
  if (names.length === 0) return out;
  const rows = await db
    .selectFrom('asset_labels')
    .select(['name', 'label', 'version'])
    .where('registry', '=', registry)
    .where('kind', '=', kind)
    .where('name', 'in', names)
    .orderBy('label')
    .execute();
  for (const r of rows) out.get(r.name)?.push({ label: r.label, version: r.version });
  return out;
}
