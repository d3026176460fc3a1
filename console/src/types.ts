/** The API's shapes the console reads (docs/api/*.yaml, src/http/routes/*.ts). */
export interface Registry {
  name: string;
  path: string;
  namespace: string;
  description: string;
  primary_location: string;
  locations: string[];
  backend: {
    s3?: { endpoint: string; bucket: string; region: string; credential: string };
    filesystem?: { rootdirectory: string };
  } | null;
  endpoint: string | null;
  bucket: string | null;
  anonymous_pull: boolean;
  default: boolean;
  state: string;
  state_reason: string | null;
  probed_at: string | null;
  created_at: string;
  /** Per location, in a single registry's view (not in lists). */
  replication?: LocationReplication[];
}

/** What replication reports for one of a registry's locations. */
export interface LocationReplication {
  location: string;
  role: 'primary' | 'additional';
  blobs: number;
  bytes: number;
  pending_copies: number;
  lag_seconds: number;
  last_error: string | null;
  last_error_at: string | null;
}

export interface Credential {
  name: string;
  namespace: string;
  type: string;
  description?: string;
  payload?: Record<string, unknown>;
  created_at?: string;
  updated_at?: string;
}

export interface AssetView {
  registry: string;
  kind: string;
  name: string;
  description: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  latestVersion: string | null;
  labels: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface FileView {
  path: string | null;
  size: number;
  digest: string;
  mediaType: string;
}

export interface VersionView {
  registry: string;
  kind: string;
  name: string;
  version: string;
  uri: string;
  digest: string;
  format: string;
  description: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  type: string | null;
  card: { description?: string; metadata?: Record<string, unknown> } | null;
  files: FileView[];
  lineage: string[];
  labels: string[];
  flags: string[];
  createdAt: string;
  createdBy: string | null;
}

export interface Paged<T> {
  items: T[];
  next: string | null;
}
