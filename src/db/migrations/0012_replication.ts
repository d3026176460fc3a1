import type { Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/**
 * Replication's pending copies: one row per blob an additional location still lacks, written in the
 * transaction that links the blob (or adds the location), removed when the copy is recorded.
 */
export const replication: MigrationDefinition = (t) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('replication_copies')
      .ifNotExists()
      .addColumn('location', t.binaryText, (c) => c.notNull())
      .addColumn('digest', t.binaryText, (c) => c.notNull())
      .addColumn('repository', t.binaryText, (c) => c.notNull())
      .addColumn('source', t.binaryText, (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('last_error_at', 'bigint')
      .addPrimaryKeyConstraint('replication_copies_pk', ['location', 'digest'])
      .execute();
    await db.schema
      .createIndex('replication_copies_by_repository')
      .ifNotExists()
      .on('replication_copies')
      .columns(['repository', 'location'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('replication_copies').ifExists().execute();
  },
});
