import { sql } from 'kysely';
import type { MetadataDb } from '../../src/db/index.js';
import { parseAssetListQuery } from '../../src/assets/index.js';
import { listAssets } from '../../src/assets/asset-list.js';

const now = 1_700_000_000_000;

/**
 * `total` models in registry `shared`, one published version each, tagged `team=t<i % 50>`, with
 * creation in name order and updates scattered; then statistics gathered (as autovacuum would).
 */
export async function fillAssets(meta: MetadataDb, total: number): Promise<void> {
  for (let i = 0; i < total; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, total - i) }, (_, j) => ({
      name: `bulk-${String(i + j).padStart(6, '0')}`,
      created_at: now + i + j,
      updated_at: now + (((i + j) * 7919) % total),
      team: `t${(i + j) % 50}`,
    }));
    const asset = { registry: 'shared', kind: 'model' };
    await meta.db
      .insertInto('assets')
      .values(
        rows.map((r) => ({
          ...asset,
          name: r.name,
          description: '',
          tags: '{}',
          properties: '{}',
          latest_version: '1',
          created_at: r.created_at,
          updated_at: r.updated_at,
          created_by: null,
        })),
      )
      .execute();
    await meta.db
      .insertInto('asset_terms')
      .values(
        rows.map((r) => ({
          ...asset,
          name: r.name,
          term: 'tag',
          key: 'team',
          value: r.team,
          created_at: r.created_at,
          updated_at: r.updated_at,
        })),
      )
      .execute();
    await meta.db
      .insertInto('asset_versions')
      .values(
        rows.map((r) => ({
          ...asset,
          name: r.name,
          version: '1',
          state: 'published' as const,
          digest: `sha256:${'b'.repeat(64)}`,
          format: 'arca',
          description: '',
          tags: '{}',
          properties: '{}',
          type: null,
          card: null,
          spec: null,
          flags: null,
          created_at: r.created_at,
          created_by: null,
          deleted_at: null,
        })),
      )
      .execute();
  }
  await sql`analyze`.execute(meta.db);
}

/** Typical list requests over the filled registry. */
export const assetListQueries = [
  'tag=team=t7&limit=100',
  'tag=team=t7&sort=-updated&limit=100',
  'name=bulk-000&limit=100',
  'sort=-created&limit=100',
  'tag=team=t3&name=bulk-001&sort=updated&limit=50',
  'tag=team&sort=-created&limit=100',
];

/**
 * Each query `rounds` times; the times in ms, sorted. Every page must hold rows. `byQuery`, when
 * given, receives each query's own times (in the order taken).
 */
export async function timeAssetLists(
  meta: MetadataDb,
  rounds: number,
  byQuery?: Map<string, number[]>,
): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const q of assetListQueries) {
      const query = parseAssetListQuery(Object.fromEntries(new URLSearchParams(q)));
      const started = performance.now();
      const page = await listAssets(meta.db, 'shared', 'model', query);
      const ms = performance.now() - started;
      times.push(ms);
      if (byQuery) byQuery.set(q, [...(byQuery.get(q) ?? []), ms]);
      if (page.rows.length === 0) throw new Error(`no rows for ${q}`);
    }
  }
  return times.sort((a, b) => a - b);
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
