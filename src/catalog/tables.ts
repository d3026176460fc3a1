/** The catalog room's tables. Times are milliseconds since the epoch. */

/**
 * One catalog entry. The whole entry is the JSON `document`; the columns beside it repeat the fields
 * queries filter and sort on, so those compile to indexed SQL.
 */
export interface CatalogEntriesTable {
  id: string;
  name: string;
  public_url: string;
  image_prefix: string;
  /** storage_info.registry_type: 'aios' | 'external' */
  registry_type: string;
  /** storage_info.storage_type: 's3' | 'object-store' | 'fs' | 'unknown' */
  storage_type: string;
  /** 'user' for onboarded entries, 'arca' for Arca's own registries (kept in sync by Arca). */
  source: string;
  document: string;
  /** Bumped by every write; updates retry when it moved under them (optimistic concurrency). */
  version: number;
  created_at: number;
  updated_at: number;
}

/** One row per distinct tag of an entry, so tag filters are index lookups. */
export interface CatalogEntryTagsTable {
  entry_id: string;
  tag: string;
}

/** Health-check history, pruned after `catalog.healthcheck.history`. */
export interface CatalogHealthChecksTable {
  id: string;
  entry_id: string;
  checked_at: number;
  /** 'up' | 'down' */
  status: string;
  status_code: number | null;
  latency_ms: number | null;
  /** The full HealthRecord as JSON. */
  record: string;
}

/** This room's tables, by name: its part of the metadata database. */
export interface CatalogTables {
  catalog_entries: CatalogEntriesTable;
  catalog_entry_tags: CatalogEntryTagsTable;
  catalog_health_checks: CatalogHealthChecksTable;
}
