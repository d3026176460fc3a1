import { AppError } from '../errors/index.js';
import type { Executor } from '../db/index.js';
import type { AssetKind } from './kinds.js';
import type { AssetRow } from './store/assets.js';
import type { TermKind } from './store/terms.js';

/** How an asset list is sorted: by name, creation or last change, `-` for descending. */
export const assetSorts = ['name', '-name', 'created', '-created', 'updated', '-updated'] as const;
export type AssetSort = (typeof assetSorts)[number];

export interface AssetListQuery {
  /** Names starting with this. */
  namePrefix?: string;
  /** Each must hold: a tag, property or card field with this key (and value, when given). */
  terms: { term: TermKind; key: string; value?: string }[];
  sort: AssetSort;
  limit: number;
  cursor?: string;
}

type Query = Record<string, string | string[] | undefined>;

function all(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** `?name=&tag=k[=v]&property=k=v&card=k=v&sort=&limit=&cursor=`, checked. */
export function parseAssetListQuery(query: Query): AssetListQuery {
  const terms: AssetListQuery['terms'] = [];
  for (const term of ['tag', 'property', 'card'] as const) {
    for (const text of all(query[term])) {
      const eq = text.indexOf('=');
      const key = eq < 0 ? text : text.slice(0, eq);
      if (key.length === 0 || key.length > 128)
        throw new AppError('ASSET_INVALID', `${term}: expected key or key=value`);
      terms.push(eq < 0 ? { term, key } : { term, key, value: text.slice(eq + 1) });
    }
  }
  if (terms.length > 10) throw new AppError('ASSET_INVALID', 'at most 10 tag, property and card filters');
  const sort = (typeof query.sort === 'string' ? query.sort : 'name') as AssetSort;
  if (!assetSorts.includes(sort))
    throw new AppError('ASSET_INVALID', `sort: one of ${assetSorts.join(', ')}`);
  const name = typeof query.name === 'string' && query.name !== '' ? query.name : undefined;
  return {
    ...(name ? { namePrefix: name } : {}),
    terms,
    sort,
    limit: parseLimit(query.limit),
    ...(typeof query.cursor === 'string' && query.cursor !== '' ? { cursor: query.cursor } : {}),
  };
}

export function parseLimit(value: unknown, fallback = 100): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new AppError('ASSET_INVALID', 'limit: 1 to 1000');
  return n;
}

/** Cursors are opaque to clients: the last row's sort key, base64url JSON. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (v: unknown) => v is T): T {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (check(value)) return value;
  } catch {
    // fall through
  }
  throw new AppError('ASSET_INVALID', 'cursor: not one this server gave');
}

const isKeyCursor = (v: unknown): v is [string | number, string] =>
  Array.isArray(v) &&
  v.length === 2 &&
  (typeof v[0] === 'string' || typeof v[0] === 'number') &&
  typeof v[1] === 'string';

/**
 * One page of a registry's assets of a kind. Every filter is an indexed lookup (names by prefix on
 * the primary key, terms on `asset_terms`' primary key), and the sort is an index's order, so a page
 * costs the same over 100,000 assets as over ten.
 */
export async function listAssets(
  db: Executor,
  registry: string,
  kind: AssetKind,
  q: AssetListQuery,
): Promise<{ rows: AssetRow[]; next: string | null }> {
  const descending = q.sort.startsWith('-');
  const field = q.sort.replace('-', '') as 'name' | 'created' | 'updated';
  const column = field === 'name' ? 'name' : field === 'created' ? 'created_at' : 'updated_at';
  let query = db.selectFrom('assets').selectAll().where('registry', '=', registry).where('kind', '=', kind);
  if (q.namePrefix !== undefined) {
    // Names are [a-z0-9._-]: every name starting with the prefix sorts below prefix + '{'.
    query = query.where('name', '>=', q.namePrefix).where('name', '<', `${q.namePrefix}{`);
  }
  for (const t of q.terms) {
    query = query.where('name', 'in', (eb) => {
      let sub = eb
        .selectFrom('asset_terms')
        .select('asset_terms.name')
        .where('asset_terms.registry', '=', registry)
        .where('asset_terms.kind', '=', kind)
        .where('asset_terms.term', '=', t.term)
        .where('asset_terms.key', '=', t.key);
      if (t.value !== undefined) sub = sub.where('asset_terms.value', '=', t.value);
      return sub;
    });
  }
  if (q.cursor !== undefined) {
    const [value, name] = decodeCursor(q.cursor, isKeyCursor);
    const op = descending ? '<' : '>';
    query =
      column === 'name'
        ? query.where('name', op, name)
        : query.where((eb) =>
            eb.or([
              eb(column, op, Number(value)),
              eb.and([eb(column, '=', Number(value)), eb('name', op, name)]),
            ]),
          );
  }
  const direction = descending ? 'desc' : 'asc';
  if (column !== 'name') query = query.orderBy(column, direction);
  const rows = await query
    .orderBy('name', direction)
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  const next =
    rows.length > q.limit && last
      ? encodeCursor([column === 'name' ? last.name : Number(last[column]), last.name])
      : null;
  return { rows: page, next };
}
