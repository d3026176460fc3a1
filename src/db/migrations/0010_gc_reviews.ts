import { sql, type Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/**
 * Garbage collection's review queues: blobs and manifests that may have lost their last reference,
 * each with the time of the last event that concerned it. Everything already stored is queued once,
 * so content from before online GC is reviewed like the rest.
 */
export const gcReviews: MigrationDefinition = (t) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('gc_blob_reviews')
      .ifNotExists()
      .addColumn('digest', t.binaryText, (c) => c.primaryKey())
      .addColumn('since', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('gc_manifest_reviews')
      .ifNotExists()
      .addColumn('repository', t.binaryText, (c) => c.notNull())
      .addColumn('digest', t.binaryText, (c) => c.notNull())
      .addColumn('since', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('gc_manifest_reviews_pk', ['repository', 'digest'])
      .execute();
    await db.schema
      .createIndex('gc_blob_reviews_since')
      .ifNotExists()
      .on('gc_blob_reviews')
      .column('since')
      .execute();
    await db.schema
      .createIndex('gc_manifest_reviews_since')
      .ifNotExists()
      .on('gc_manifest_reviews')
      .column('since')
      .execute();
    // Staging objects of browser uploads keep no row; GC notes when it first saw each one.
    await db.schema
      .createTable('gc_staging_seen')
      .ifNotExists()
      .addColumn('location', t.binaryText, (c) => c.notNull())
      .addColumn('path', t.binaryText, (c) => c.notNull())
      .addColumn('first_seen', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('gc_staging_seen_pk', ['location', 'path'])
      .execute();
    // A blob's review asks which manifests of any repository reference it.
    await db.schema
      .createIndex('manifest_references_by_child')
      .ifNotExists()
      .on('manifest_references')
      .column('child_digest')
      .execute();
    const now = Date.now();
    await sql`insert into gc_blob_reviews (digest, since) select digest, ${now} from blobs`.execute(db);
    await sql`insert into gc_manifest_reviews (repository, digest, since) select repository, digest, ${now} from manifests`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('gc_staging_seen').ifExists().execute();
    await db.schema.dropTable('gc_manifest_reviews').ifExists().execute();
    await db.schema.dropTable('gc_blob_reviews').ifExists().execute();
  },
});
