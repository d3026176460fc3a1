import type { Kysely, RawBuilder, SqlBool } from 'kysely';
import type { Database, MetadataDb } from '../db/index.js';
import type { JsonObject } from './json.js';
import type { Filter } from './filter.js';
import { matches } from './matcher.js';
import { project, sortDocuments, type Query } from './query.js';
import { QueryBudget, type ScanLimits } from './budget.js';
import { compileFilter, type CompileOptions } from './sql-filter.js';
import { scalarColumns } from './scalar-columns.js';
import { tagSetKey, tagSets } from './tag-sets.js';
import { countTagRows, selectDocuments, type OrderColumn } from './store/entries.js';

/** One page of a query; `more` when entries follow it. */
export interface QueryPage {
  items: JsonObject[];
  more: boolean;
}

/** Below this many tag rows, a tag set is rare enough to drive a SQLite query. */
const rareTagRows = 2000;
/** Tag sets whose rarity is asked per query; the rest are probed per row, which is never wrong. */
const maxRareTagProbes = 32;
/** Rows read per page of a scan at most: one SQLite read holds the event loop while it runs. */
const maxBatch = 4096;

/**
 * Run a query. Filters on the indexed fields (id, name, tags, registry_type, storage_type, public_url,
 * image_prefix) are answered by SQL; the rest is matched here over the rows SQL narrowed down,
 * within the budget of `limits` (CATALOG_QUERY_TOO_EXPENSIVE beyond).
 */
export async function runQuery(
  meta: Pick<MetadataDb, 'db' | 'dialect'>,
  limits: ScanLimits,
  query: Query,
): Promise<QueryPage> {
  const budget = new QueryBudget(limits);
  const { where, exact } = compileFilter(query.filter, await compileOptions(meta, query, budget));
  const want = query.limit === 0 ? Infinity : query.limit;
  const order = sqlOrder(query);
  // An exact filter needs no matcher; in SQL order SQL also skips.
  const filter = exact ? undefined : query.filter;
  let docs: JsonObject[];
  if (order) {
    const sqlSkip = exact ? query.skip : 0;
    docs = await scan(
      meta.db,
      { where, order, filter, offset: sqlSkip },
      query.skip - sqlSkip,
      want + 1,
      budget,
    );
  } else {
    const matching = await scan(meta.db, { where, order: [], filter, offset: 0 }, 0, Infinity, budget);
    docs = sortDocuments(matching, query.sort).slice(query.skip, query.skip + want + 1);
  }
  const more = docs.length > want;
  return { items: docs.slice(0, want).map((d) => project(d, query.projection)), more };
}

/** Which rows a scan reads, in which order, from which row on, and the filter they must match (if any). */
interface ScanPlan {
  where: RawBuilder<SqlBool>;
  order: OrderColumn[];
  filter: Filter | undefined;
  offset: number;
}

/**
 * Read candidates in SQL order from row `offset`, page by page, keep those `filter` matches (all
 * without one), drop the first `skip` of them and return once `enough` are kept or rows run out.
 * Every row counts against the budget, and the scan yields to other requests as it goes.
 */
async function scan(
  db: Kysely<Database>,
  { where, order, filter, offset }: ScanPlan,
  skip: number,
  enough: number,
  budget: QueryBudget,
): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  let skipped = 0;
  // SQL narrows well for most filters: start with about as many rows as the page needs.
  let batch = Math.min(Math.max(skip + enough, 32), maxBatch);
  for (;;) {
    const rows = await selectDocuments(db, where, order, batch, offset);
    for (const row of rows) {
      if (budget.examine()) await budget.pause();
      const doc = JSON.parse(row.document) as JsonObject;
      if (filter && !matches(doc, filter)) continue;
      if (skipped < skip) skipped++;
      else out.push(doc);
      if (out.length >= enough) return out;
    }
    if (rows.length < batch) return out;
    offset += rows.length;
    batch = Math.min(batch * 4, maxBatch);
    await budget.pause();
  }
}

/**
 * SQLite has no statistics on how many entries a tag has; ask the tag index (a bounded count) so
 * rare tags drive the query and common ones are probed per row. A wide filter asks for a few only.
 */
async function compileOptions(
  { db, dialect }: Pick<MetadataDb, 'db' | 'dialect'>,
  query: Query,
  budget: QueryBudget,
): Promise<CompileOptions> {
  if (dialect !== 'sqlite') return { dialect };
  const rareTags = new Set<string>();
  const keys = [...new Set(tagSets(query.filter).map(tagSetKey))].slice(0, maxRareTagProbes);
  for (const key of keys) {
    budget.check();
    const set = JSON.parse(key) as string[];
    if ((await countTagRows(db, set, rareTagRows)) < rareTagRows) rareTags.add(key);
  }
  return { dialect, rareTags };
}

/** The SQL order for a query's sort, when every key is an indexed string column. */
function sqlOrder(query: Query): OrderColumn[] | undefined {
  const order: OrderColumn[] = [];
  for (const key of query.sort) {
    const column = scalarColumns[key.path.join('.')];
    if (column === undefined) return undefined;
    order.push({ column, direction: key.direction === 1 ? 'asc' : 'desc' });
  }
  return order;
}
