import type { Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/** Webhooks per registry: where its events are delivered, the secret sealed under the master keys. */
export const webhooks: MigrationDefinition = (t) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('webhooks')
      .ifNotExists()
      .addColumn('id', t.binaryText, (c) => c.primaryKey())
      .addColumn('registry', t.binaryText, (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .execute();
    await db.schema
      .createIndex('webhooks_of_registry')
      .ifNotExists()
      .on('webhooks')
      .columns(['registry', 'created_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('webhooks').ifExists().execute();
  },
});
