import type { Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/**
 * Registries that are pull-through caches of another registry: its base URL, the REGISTRY
 * credential presented to it (by name, in the registry's namespace), and how long a tag's answer is
 * trusted before it is asked again.
 */
export const proxyRegistries: MigrationDefinition = () => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('registries').addColumn('proxy_url', 'text').execute();
    await db.schema.alterTable('registries').addColumn('proxy_credential', 'text').execute();
    await db.schema.alterTable('registries').addColumn('proxy_ttl', 'bigint').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('registries').dropColumn('proxy_ttl').execute();
    await db.schema.alterTable('registries').dropColumn('proxy_credential').execute();
    await db.schema.alterTable('registries').dropColumn('proxy_url').execute();
  },
});
