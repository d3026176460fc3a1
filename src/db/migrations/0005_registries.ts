import { sql, type Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/**
 * Registries as resources, and per-location records of the blobs each location holds. Every blob
 * stored before locations existed is in the built-in `default` location.
 */
export const registries: MigrationDefinition = (t) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('registries')
      .ifNotExists()
      .addColumn('name_key', t.binaryText, (c) => c.primaryKey())
      .addColumn('name', t.binaryText, (c) => c.notNull())
      .addColumn('namespace', t.binaryText, (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('primary_location', 'text', (c) => c.notNull())
      .addColumn('locations', 'text', (c) => c.notNull())
      .addColumn('backend', 'text')
      .addColumn('anonymous_pull', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('state_reason', 'text')
      .addColumn('probed_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .execute();
    // At most one default per namespace, enforced by the database whatever the replicas do.
    await sql`create unique index if not exists registries_one_default on registries (namespace) where is_default = 1`.execute(
      db,
    );
    await db.schema
      .createTable('blob_locations')
      .ifNotExists()
      .addColumn('location', t.binaryText, (c) => c.notNull())
      .addColumn('digest', t.binaryText, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('blob_locations_pk', ['location', 'digest'])
      .execute();
    await sql`insert into blob_locations (location, digest, created_at) select 'default', digest, created_at from blobs`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('blob_locations').ifExists().execute();
    await db.schema.dropTable('registries').ifExists().execute();
  },
});
