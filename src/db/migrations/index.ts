import { sql, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from '../connect.js';
import type { DialectTypes, MigrationDefinition } from './types.js';
import { ociCore } from './0001_oci_core.js';
import { catalog } from './0002_catalog.js';
import { access } from './0003_access.js';
import { credentials } from './0004_credentials.js';
import { registries } from './0005_registries.js';
import { uploadOwners } from './0006_upload_owners.js';
import { assets } from './0007_assets.js';
import { jobs } from './0008_jobs.js';
import { webhooks } from './0009_webhooks.js';
import { gcReviews } from './0010_gc_reviews.js';
import { proxyRegistries } from './0011_proxy_registries.js';
import { replication } from './0012_replication.js';

/** Every migration, in order. Names are never changed once released; add new ones at the end. */
const migrations: [string, MigrationDefinition][] = [
  ['0001_oci_core', ociCore],
  ['0002_catalog', catalog],
  ['0003_access', access],
  ['0004_credentials', credentials],
  ['0005_registries', registries],
  ['0006_upload_owners', uploadOwners],
  ['0007_assets', assets],
  ['0008_jobs', jobs],
  ['0009_webhooks', webhooks],
  ['0010_gc_reviews', gcReviews],
  ['0011_proxy_registries', proxyRegistries],
  ['0012_replication', replication],
];

export function migrationProvider(dialect: Dialect): MigrationProvider {
  const types: DialectTypes = {
    bytes: sql.raw(dialect === 'postgres' ? 'bytea' : 'blob'),
    binaryText: sql.raw(dialect === 'postgres' ? 'text collate "C"' : 'text'),
  };
  const all: Record<string, Migration> = {};
  for (const [name, define] of migrations) all[name] = define(types);
  return { getMigrations: async () => all };
}
