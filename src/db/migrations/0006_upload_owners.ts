import type { Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/**
 * Who opened each upload session (a user, or the address of an anonymous caller), and indexes to
 * count the open sessions per repository and per caller, which are capped.
 */
export const uploadOwners: MigrationDefinition = () => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('uploads').addColumn('opened_by', 'text').execute();
    await db.schema
      .createIndex('uploads_repository')
      .ifNotExists()
      .on('uploads')
      .column('repository')
      .execute();
    await db.schema
      .createIndex('uploads_opened_by')
      .ifNotExists()
      .on('uploads')
      .column('opened_by')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('uploads_opened_by').ifExists().execute();
    await db.schema.dropIndex('uploads_repository').ifExists().execute();
    await db.schema.alterTable('uploads').dropColumn('opened_by').execute();
  },
});
