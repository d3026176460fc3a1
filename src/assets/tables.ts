/** The assets room's tables: assets, their versions (and tombstones), files, labels, lineage, search terms. */

/** One asset: registry (its lowercase path), kind and name. Maps are JSON text. */
export interface AssetsTable {
  registry: string;
  kind: string;
  name: string;
  description: string;
  tags: string;
  properties: string;
  /** The most recently published version still there, or null. */
  latest_version: string | null;
  created_at: number;
  updated_at: number;
  created_by: string | null;
}

/** What asset lists filter on: each tag, property and top-level card field as one row. */
export interface AssetTermsTable {
  registry: string;
  kind: string;
  name: string;
  /** `tag`, `property` or `card`. */
  term: string;
  key: string;
  value: string;
  /** The asset's times, repeated so a filtered list is read in its sort order from one index. */
  created_at: number;
  updated_at: number;
}

/**
 * One version. A deleted version stays as a tombstone (state `deleted`) so its number is never
 * used again.
 */
export interface AssetVersionsTable {
  registry: string;
  kind: string;
  name: string;
  version: string;
  state: 'published' | 'deleted';
  /** The manifest's digest. */
  digest: string;
  /** How it came: `arca` (published by the API or Arca's types), `modelpack`, `modelkit`, `image`. */
  format: string;
  description: string;
  tags: string;
  properties: string;
  type: string | null;
  card: string | null;
  spec: string | null;
  /** JSON list of what is wrong with a recognized artifact (hostile file paths), or null. */
  flags: string | null;
  created_at: number;
  created_by: string | null;
  deleted_at: number | null;
}

/** A version's files in layer order; `path` is null for a layer without a usable path. */
export interface AssetFilesTable {
  registry: string;
  kind: string;
  name: string;
  version: string;
  position: number;
  path: string | null;
  size: number;
  digest: string;
  media_type: string;
}

export interface AssetLabelsTable {
  registry: string;
  kind: string;
  name: string;
  label: string;
  version: string;
  updated_at: number;
}

/** A version (`registry`…`version`) derived from another (`up_*`). */
export interface AssetLineageTable {
  registry: string;
  kind: string;
  name: string;
  version: string;
  up_registry: string;
  up_kind: string;
  up_name: string;
  up_version: string;
}

/** This room's tables, by name: its part of the metadata database. */
export interface AssetsTables {
  assets: AssetsTable;
  asset_terms: AssetTermsTable;
  asset_versions: AssetVersionsTable;
  asset_files: AssetFilesTable;
  asset_labels: AssetLabelsTable;
  asset_lineage: AssetLineageTable;
}
