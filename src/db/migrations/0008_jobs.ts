import type { Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/** The durable job table: background work claimed by workers under a lease. */
export const jobs: MigrationDefinition = (t) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('jobs')
      .ifNotExists()
      .addColumn('id', t.binaryText, (c) => c.primaryKey())
      .addColumn('kind', t.binaryText, (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('run_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // What a claim scans: waiting jobs by due time, running ones by lease end.
    await db.schema.createIndex('jobs_due').ifNotExists().on('jobs').columns(['state', 'run_at']).execute();
    await db.schema
      .createIndex('jobs_leases')
      .ifNotExists()
      .on('jobs')
      .columns(['state', 'lease_until'])
      .execute();
    await db.schema
      .createIndex('jobs_by_time')
      .ifNotExists()
      .on('jobs')
      .columns(['created_at', 'id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('jobs').ifExists().execute();
  },
});
