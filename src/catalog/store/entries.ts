import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { CatalogEntry } from '../entry.js';
import type { Executor } from '../../db/index.js';

export type EntrySource = 'user' | 'arca';

export interface EntryRow {
  id: string;
  document: string;
  source: EntrySource;
  version: number;
}

export interface OrderColumn {
  column: string;
  direction: 'asc' | 'desc';
}

function columns(entry: CatalogEntry) {
  return {
    name: entry.container_registry_name,
    public_url: entry.container_registry_public_url,
    image_prefix: entry.container_registry_image_prefix,
    registry_type: entry.container_registry_storage_info.registry_type,
    storage_type: entry.container_registry_storage_info.storage_type,
    document: JSON.stringify(entry),
  };
}

/** Insert entries and their tags; returns the ids that already existed (and were left alone). */
export async function insertEntries(
  db: Executor,
  entries: CatalogEntry[],
  source: EntrySource,
  now: number,
): Promise<string[]> {
  const existing: string[] = [];
  // 11 parameters a row: batches stay far below either dialect's parameter limit.
  for (let i = 0; i < entries.length; i += 500) {
    const batch = entries.slice(i, i + 500);
    const inserted = await db
      .insertInto('catalog_entries')
      .values(
        batch.map((entry) => ({
          id: entry.container_registry_id,
          ...columns(entry),
          source,
          version: 1,
          created_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    const fresh = new Set(inserted.map((r) => r.id));
    for (const entry of batch)
      if (!fresh.has(entry.container_registry_id)) existing.push(entry.container_registry_id);
    const tags = batch
      .filter((entry) => fresh.has(entry.container_registry_id))
      .flatMap((entry) =>
        [...new Set(entry.container_registry_tags)].map((tag) => ({
          entry_id: entry.container_registry_id,
          tag,
        })),
      );
    for (let j = 0; j < tags.length; j += 5000) {
      await db
        .insertInto('catalog_entry_tags')
        .values(tags.slice(j, j + 5000))
        .execute();
    }
  }
  return existing;
}

/** An entry's row; `lock` (PostgreSQL, inside a transaction) holds it until the transaction ends. */
export async function getEntryRow(db: Executor, id: string, lock = false): Promise<EntryRow | undefined> {
  const row = await db
    .selectFrom('catalog_entries')
    .select(['id', 'document', 'source', 'version'])
    .where('id', '=', id)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
  return row as EntryRow | undefined;
}

/** Write a new version of an entry if nobody else wrote since `version` was read. */
export async function updateEntry(
  db: Executor,
  entry: CatalogEntry,
  version: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('catalog_entries')
    .set({ ...columns(entry), version: version + 1, updated_at: now })
    .where('id', '=', entry.container_registry_id)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function replaceTags(db: Executor, id: string, tags: string[]): Promise<void> {
  await db.deleteFrom('catalog_entry_tags').where('entry_id', '=', id).execute();
  const distinct = [...new Set(tags)];
  if (distinct.length > 0) {
    await db
      .insertInto('catalog_entry_tags')
      .values(distinct.map((tag) => ({ entry_id: id, tag })))
      .execute();
  }
}

/** Delete an entry with its tags and health history. */
export async function deleteEntry(db: Executor, id: string): Promise<boolean> {
  await db.deleteFrom('catalog_entry_tags').where('entry_id', '=', id).execute();
  await db.deleteFrom('catalog_health_checks').where('entry_id', '=', id).execute();
  const result = await db.deleteFrom('catalog_entries').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Documents matching `where`, in `order` then creation order; `limit` undefined for all. */
export async function selectDocuments(
  db: Executor,
  where: RawBuilder<SqlBool>,
  order: OrderColumn[],
  limit?: number,
  offset = 0,
): Promise<{ id: string; document: string }[]> {
  let query = db.selectFrom('catalog_entries').select(['id', 'document']).where(where);
  for (const { column, direction } of order) query = query.orderBy(sql.ref(column), direction);
  query = query.orderBy('created_at').orderBy('id');
  if (limit !== undefined) query = query.limit(limit);
  if (offset > 0) query = query.offset(offset);
  return query.execute();
}

/** Entries whose document contains `text`, ignoring case: a superset for the caller to narrow. */
export function documentsContaining(db: Executor, text: string): Promise<{ id: string; document: string }[]> {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db
    .selectFrom('catalog_entries')
    .select(['id', 'document'])
    .where(sql<SqlBool>`lower(document) like ${pattern} escape '\\'`)
    .orderBy('id')
    .execute();
}

/** Ids of the entries matching `where` (for tests of the SQL compilation). */
export async function selectIds(db: Executor, where: RawBuilder<SqlBool>): Promise<string[]> {
  const rows = await db.selectFrom('catalog_entries').select('id').where(where).orderBy('id').execute();
  return rows.map((r) => r.id);
}

export async function idsBySource(db: Executor, source: EntrySource): Promise<string[]> {
  const rows = await db.selectFrom('catalog_entries').select('id').where('source', '=', source).execute();
  return rows.map((r) => r.id);
}

/** How many tag rows hold one of `tags`, counting no further than `cap`. */
export async function countTagRows(db: Executor, tags: string[], cap: number): Promise<number> {
  const row = await db
    .selectFrom((eb) =>
      eb.selectFrom('catalog_entry_tags').select('entry_id').where('tag', 'in', tags).limit(cap).as('t'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
