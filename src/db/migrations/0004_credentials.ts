import type { Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/** Encrypted credentials for other registries and buckets, one namespace each. */
export const credentials: MigrationDefinition = (t) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('credentials')
      .ifNotExists()
      .addColumn('namespace', t.binaryText, (c) => c.notNull())
      .addColumn('name', t.binaryText, (c) => c.notNull())
      .addColumn('name_key', t.binaryText, (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addPrimaryKeyConstraint('credentials_pk', ['namespace', 'name_key'])
      .execute();
    await db.schema
      .createIndex('credentials_key_id')
      .ifNotExists()
      .on('credentials')
      .column('key_id')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('credentials').ifExists().execute();
  },
});
