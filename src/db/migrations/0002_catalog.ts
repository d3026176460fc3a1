import { type Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/**
 * The catalog room's tables: entries (JSON document + the columns queries filter and sort on),
 * their tags, and the health-check history. Text that queries compare or sort is code-point ordered
 * on both dialects, so SQL and the in-process matcher agree.
 */
export const catalog: MigrationDefinition = (t) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('catalog_entries')
      .ifNotExists()
      .addColumn('id', t.binaryText, (c) => c.primaryKey())
      .addColumn('name', t.binaryText, (c) => c.notNull())
      .addColumn('public_url', t.binaryText, (c) => c.notNull())
      .addColumn('image_prefix', t.binaryText, (c) => c.notNull())
      .addColumn('registry_type', t.binaryText, (c) => c.notNull())
      .addColumn('storage_type', t.binaryText, (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // Types have few values: their indexes carry the name too, for "of this type, by name" queries.
    const indexes: [string, string[]][] = [
      ['name', ['name', 'id']],
      ['public_url', ['public_url', 'id']],
      ['registry_type', ['registry_type', 'storage_type', 'name']],
      ['storage_type', ['storage_type', 'name']],
    ];
    for (const [name, columns] of indexes) {
      await db.schema
        .createIndex(`catalog_entries_${name}`)
        .ifNotExists()
        .on('catalog_entries')
        .columns(columns)
        .execute();
    }
    await db.schema
      .createIndex('catalog_entries_created')
      .ifNotExists()
      .on('catalog_entries')
      .columns(['created_at', 'id'])
      .execute();
    await db.schema
      .createTable('catalog_entry_tags')
      .ifNotExists()
      .addColumn('entry_id', t.binaryText, (c) => c.notNull())
      .addColumn('tag', t.binaryText, (c) => c.notNull())
      .addPrimaryKeyConstraint('catalog_entry_tags_pk', ['entry_id', 'tag'])
      .execute();
    await db.schema
      .createIndex('catalog_entry_tags_tag')
      .ifNotExists()
      .on('catalog_entry_tags')
      .columns(['tag', 'entry_id'])
      .execute();
    await db.schema
      .createTable('catalog_health_checks')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('entry_id', t.binaryText, (c) => c.notNull())
      .addColumn('checked_at', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('latency_ms', 'double precision')
      .addColumn('record', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('catalog_health_checks_entry')
      .ifNotExists()
      .on('catalog_health_checks')
      .columns(['entry_id', 'checked_at'])
      .execute();
    await db.schema
      .createIndex('catalog_health_checks_time')
      .ifNotExists()
      .on('catalog_health_checks')
      .column('checked_at')
      .execute();
  },
});
