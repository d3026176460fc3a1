import type { Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

const key = ['registry', 'kind', 'name'] as const;

/**
 * Versioned assets (models, datasets, environments, components) over the OCI rows: assets, their
 * versions and tombstones, files, labels, lineage both ways, and the terms asset lists filter on.
 */
export const assets: MigrationDefinition = (t) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('assets')
      .ifNotExists()
      .addColumn('registry', t.binaryText, (c) => c.notNull())
      .addColumn('kind', t.binaryText, (c) => c.notNull())
      .addColumn('name', t.binaryText, (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('properties', 'text', (c) => c.notNull())
      .addColumn('latest_version', t.binaryText)
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addPrimaryKeyConstraint('assets_pk', [...key])
      .execute();
    for (const column of ['updated_at', 'created_at'] as const) {
      await db.schema
        .createIndex(`assets_by_${column}`)
        .ifNotExists()
        .on('assets')
        .columns(['registry', 'kind', column, 'name'])
        .execute();
    }
    await db.schema
      .createTable('asset_terms')
      .ifNotExists()
      .addColumn('registry', t.binaryText, (c) => c.notNull())
      .addColumn('kind', t.binaryText, (c) => c.notNull())
      .addColumn('name', t.binaryText, (c) => c.notNull())
      .addColumn('term', t.binaryText, (c) => c.notNull())
      .addColumn('key', t.binaryText, (c) => c.notNull())
      .addColumn('value', t.binaryText, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('asset_terms_pk', ['registry', 'kind', 'term', 'key', 'value', 'name'])
      .execute();
    // A list filtered by a term and sorted by time reads its page in order from one of these.
    for (const column of ['updated_at', 'created_at'] as const) {
      await db.schema
        .createIndex(`asset_terms_by_${column}`)
        .ifNotExists()
        .on('asset_terms')
        .columns(['registry', 'kind', 'term', 'key', 'value', column, 'name'])
        .execute();
    }
    await db.schema
      .createIndex('asset_terms_of')
      .ifNotExists()
      .on('asset_terms')
      .columns([...key])
      .execute();
    await db.schema
      .createTable('asset_versions')
      .ifNotExists()
      .addColumn('registry', t.binaryText, (c) => c.notNull())
      .addColumn('kind', t.binaryText, (c) => c.notNull())
      .addColumn('name', t.binaryText, (c) => c.notNull())
      .addColumn('version', t.binaryText, (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('digest', t.binaryText, (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('properties', 'text', (c) => c.notNull())
      .addColumn('type', 'text')
      .addColumn('card', 'text')
      .addColumn('spec', 'text')
      .addColumn('flags', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('deleted_at', 'bigint')
      .addPrimaryKeyConstraint('asset_versions_pk', [...key, 'version'])
      .execute();
    await db.schema
      .createIndex('asset_versions_by_time')
      .ifNotExists()
      .on('asset_versions')
      .columns([...key, 'created_at', 'version'])
      .execute();
    await db.schema
      .createIndex('asset_versions_by_digest')
      .ifNotExists()
      .on('asset_versions')
      .columns([...key, 'digest'])
      .execute();
    await db.schema
      .createTable('asset_files')
      .ifNotExists()
      .addColumn('registry', t.binaryText, (c) => c.notNull())
      .addColumn('kind', t.binaryText, (c) => c.notNull())
      .addColumn('name', t.binaryText, (c) => c.notNull())
      .addColumn('version', t.binaryText, (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('path', t.binaryText)
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('digest', t.binaryText, (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('asset_files_pk', [...key, 'version', 'position'])
      .execute();
    await db.schema
      .createIndex('asset_files_by_path')
      .ifNotExists()
      .on('asset_files')
      .columns([...key, 'version', 'path'])
      .execute();
    await db.schema
      .createTable('asset_labels')
      .ifNotExists()
      .addColumn('registry', t.binaryText, (c) => c.notNull())
      .addColumn('kind', t.binaryText, (c) => c.notNull())
      .addColumn('name', t.binaryText, (c) => c.notNull())
      .addColumn('label', t.binaryText, (c) => c.notNull())
      .addColumn('version', t.binaryText, (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('asset_labels_pk', [...key, 'label'])
      .execute();
    await db.schema
      .createTable('asset_lineage')
      .ifNotExists()
      .addColumn('registry', t.binaryText, (c) => c.notNull())
      .addColumn('kind', t.binaryText, (c) => c.notNull())
      .addColumn('name', t.binaryText, (c) => c.notNull())
      .addColumn('version', t.binaryText, (c) => c.notNull())
      .addColumn('up_registry', t.binaryText, (c) => c.notNull())
      .addColumn('up_kind', t.binaryText, (c) => c.notNull())
      .addColumn('up_name', t.binaryText, (c) => c.notNull())
      .addColumn('up_version', t.binaryText, (c) => c.notNull())
      .addPrimaryKeyConstraint('asset_lineage_pk', [
        ...key,
        'version',
        'up_registry',
        'up_kind',
        'up_name',
        'up_version',
      ])
      .execute();
    await db.schema
      .createIndex('asset_lineage_downstream')
      .ifNotExists()
      .on('asset_lineage')
      .columns(['up_registry', 'up_kind', 'up_name', 'up_version'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'asset_lineage',
      'asset_labels',
      'asset_files',
      'asset_versions',
      'asset_terms',
      'assets',
    ])
      await db.schema.dropTable(table).ifExists().execute();
  },
});
