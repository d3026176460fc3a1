import type { Executor } from '../../db/index.js';
import { assetColumns } from './asset-columns.js';
import type { AssetKey } from '../kinds.js';

export type TermKind = 'tag' | 'property' | 'card';

/** Replace the terms of one kind of an asset (its tags, its properties, or its latest card's fields). */
export async function replaceTerms(
  db: Executor,
  key: AssetKey,
  term: TermKind,
  entries: Record<string, string>,
): Promise<void> {
  await db
    .deleteFrom('asset_terms')
    .where((eb) => eb.and(assetColumns(key)))
    .where('term', '=', term)
    .execute();
  const asset = await db
    .selectFrom('assets')
    .select(['created_at', 'updated_at'])
    .where((eb) => eb.and(assetColumns(key)))
    .executeTakeFirst();
  if (!asset) return;
  const rows = Object.entries(entries).map(([k, value]) => ({
    ...assetColumns(key),
    term,
    key: k,
    value,
    created_at: asset.created_at,
    updated_at: asset.updated_at,
  }));
  if (rows.length > 0)
    await db
      .insertInto('asset_terms')
      .values(rows)
      .onConflict((oc) => oc.doNothing())
      .execute();
}

/** The searchable fields of a card: top-level strings and numbers of it and its `metadata`, list items too. */
export function cardTerms(card: Record<string, unknown> | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!card) return out;
  const metadata = card.metadata;
  const fields = {
    ...(typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {}),
  };
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      out[k] = String(v).slice(0, 1024);
  }
  return out;
}
