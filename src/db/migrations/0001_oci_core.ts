import { type Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/** The OCI room's tables: repositories, blobs and their links, manifests, references, tags, uploads. */
export const ociCore: MigrationDefinition = (t) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('repositories')
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('blobs')
      .ifNotExists()
      .addColumn('digest', 'text', (c) => c.primaryKey())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('repository_blobs')
      .ifNotExists()
      .addColumn('repository', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('repository_blobs_pk', ['repository', 'digest'])
      .execute();
    await db.schema
      .createIndex('repository_blobs_digest')
      .ifNotExists()
      .on('repository_blobs')
      .column('digest')
      .execute();
    await db.schema
      .createTable('manifests')
      .ifNotExists()
      .addColumn('repository', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('artifact_type', 'text')
      .addColumn('subject', 'text')
      .addColumn('annotations', 'text')
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('payload', t.bytes, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('manifests_pk', ['repository', 'digest'])
      .execute();
    await db.schema
      .createIndex('manifests_subject')
      .ifNotExists()
      .on('manifests')
      .columns(['repository', 'subject'])
      .execute();
    await db.schema
      .createTable('manifest_references')
      .ifNotExists()
      .addColumn('repository', 'text', (c) => c.notNull())
      .addColumn('manifest_digest', 'text', (c) => c.notNull())
      .addColumn('child_digest', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('manifest_references_pk', ['repository', 'manifest_digest', 'child_digest'])
      .execute();
    await db.schema
      .createIndex('manifest_references_child')
      .ifNotExists()
      .on('manifest_references')
      .columns(['repository', 'child_digest'])
      .execute();
    await db.schema
      .createTable('tags')
      .ifNotExists()
      .addColumn('repository', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('tags_pk', ['repository', 'name'])
      .execute();
    await db.schema
      .createIndex('tags_digest')
      .ifNotExists()
      .on('tags')
      .columns(['repository', 'digest'])
      .execute();
    await db.schema
      .createTable('uploads')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('repository', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
});
