import { AppError } from '../errors/index.js';
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database, Executor } from '../db/index.js';
import type { AssetKind } from './kinds.js';
import type { AssetRow } from './store/assets.js';
import type { AssetTermsTable } from './tables.js';
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
 * One page of a registry's assets of a kind. With a filter on a term's value, the page is read from
 * that term's index in the sort's order (`asset_terms` repeats the asset's times), joined to the
 * assets; otherwise from the assets' index of the sort. Other filters are probes on the rows read.
 * So a page costs about the same over 100,000 assets as over ten.
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
  const driver = q.terms.find((t) => t.value !== undefined);
  // The table the sort's index belongs to: the driving term's rows, or the assets.
  const by = driver ? 't0' : 'assets';
  let query = (driver
    ? db
        .selectFrom('asset_terms as t0')
        .innerJoin('assets', (join) =>
          join
            .onRef('assets.registry', '=', 't0.registry')
            .onRef('assets.kind', '=', 't0.kind')
            .onRef('assets.name', '=', 't0.name'),
        )
        .where('t0.registry', '=', registry)
        .where('t0.kind', '=', kind)
        .where('t0.term', '=', driver.term)
        .where('t0.key', '=', driver.key)
        .where('t0.value', '=', driver.value!)
    : db.selectFrom('assets').where('assets.registry', '=', registry).where('assets.kind', '=', kind)
  ).selectAll('assets') as unknown as SelectQueryBuilder<
    Database & { t0: AssetTermsTable },
    'assets' | 't0',
    AssetRow
  >;
  const ref = (c: string) => sql.ref<string | number>(`${by}.${c}`);
  if (q.namePrefix !== undefined) {
    // Names are [a-z0-9._-]: every name starting with the prefix sorts below prefix + '{'.
    query = query.where(ref('name'), '>=', q.namePrefix).where(ref('name'), '<', `${q.namePrefix}{`);
  }
  for (const t of q.terms) {
    if (t === driver) continue;
    query = query.where(({ exists, selectFrom }) => {
      let sub = selectFrom('asset_terms')
        .select('asset_terms.name')
        .whereRef('asset_terms.registry', '=', 'assets.registry')
        .whereRef('asset_terms.kind', '=', 'assets.kind')
        .whereRef('asset_terms.name', '=', 'assets.name')
        .where('asset_terms.term', '=', t.term)
        .where('asset_terms.key', '=', t.key);
      if (t.value !== undefined) sub = sub.where('asset_terms.value', '=', t.value);
      return exists(sub);
    });
  }
  if (q.cursor !== undefined) {
    const [value, name] = decodeCursor(q.cursor, isKeyCursor);
    const op = descending ? '<' : '>';
    query =
      column === 'name'
        ? query.where(ref('name'), op, name)
        : query.where((eb) =>
            eb.or([
              eb(ref(column), op, Number(value)),
              eb.and([eb(ref(column), '=', Number(value)), eb(ref('name'), op, name)]),
            ]),
          );
  }
  const direction = descending ? 'desc' : 'asc';
  if (column !== 'name') query = query.orderBy(ref(column), direction);
  const rows = await query
    .orderBy(ref('name'), direction)
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
