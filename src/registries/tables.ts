/** Registries as resources. Times are milliseconds since the epoch; flags are 0 or 1. */
export interface RegistriesTable {
  /** As given (`HelloWorldReg`); never changed. */
  name: string;
  /** Lowercased: unique, and the first path segment OCI clients use. */
  name_key: string;
  namespace: string;
  description: string;
  /** JSON object of string tags. */
  tags: string;
  /** A configured location's name, or `registry:<name_key>` for a registry that brings its own backend. */
  primary_location: string;
  /** JSON array of configured location names, replication targets. */
  locations: string;
  /** JSON of the registry's own backend (`{s3: {...}}` or `{filesystem: {...}}`), or null. */
  backend: string | null;
  anonymous_pull: number;
  /** A pull-through cache's upstream (`https://registry-1.docker.io`), or null for a registry of its own. */
  proxy_url: string | null;
  /** The REGISTRY credential presented to the upstream (its name in the namespace), or null: anonymous. */
  proxy_credential: string | null;
  /** Milliseconds a tag's upstream answer is trusted before it is asked again (HEAD); null: the default. */
  proxy_ttl: number | null;
  /** 1 for the default of its namespace; at most one per namespace (a partial unique index). */
  is_default: number;
  /** 'Active' | 'Error' | 'Pending' */
  state: string;
  state_reason: string | null;
  probed_at: number | null;
  created_at: number;
  updated_at: number;
  created_by: string | null;
}

/** This room's tables, by name: its part of the metadata database. */
export interface RegistriesTables {
  registries: RegistriesTable;
}
