import type { Executor } from '../../db/index.js';
import type { AssetKind, AssetKey } from '../kinds.js';

/** A version of an asset. */
export interface VersionKey extends AssetKey {
  version: string;
}

export async function insertLineage(db: Executor, from: VersionKey, upstream: VersionKey[]): Promise<void> {
  if (upstream.length === 0) return;
  await db
    .insertInto('asset_lineage')
    .values(
      upstream.map((u) => ({
        ...from,
        up_registry: u.registry,
        up_kind: u.kind,
        up_name: u.name,
        up_version: u.version,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** What a version derives from. */
export async function upstreamOf(db: Executor, v: VersionKey): Promise<VersionKey[]> {
  const rows = await db
    .selectFrom('asset_lineage')
    .select(['up_registry', 'up_kind', 'up_name', 'up_version'])
    .where('registry', '=', v.registry)
    .where('kind', '=', v.kind)
    .where('name', '=', v.name)
    .where('version', '=', v.version)
    .execute();
  return rows.map((r) => ({
    registry: r.up_registry,
    kind: r.up_kind as AssetKind,
    name: r.up_name,
    version: r.up_version,
  }));
}

/** What derives from a version. */
export async function downstreamOf(db: Executor, v: VersionKey, limit = 1000): Promise<VersionKey[]> {
  const rows = await db
    .selectFrom('asset_lineage')
    .select(['registry', 'kind', 'name', 'version'])
    .where('up_registry', '=', v.registry)
    .where('up_kind', '=', v.kind)
    .where('up_name', '=', v.name)
    .where('up_version', '=', v.version)
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    registry: r.registry,
    kind: r.kind as AssetKind,
    name: r.name,
    version: r.version,
  }));
}
