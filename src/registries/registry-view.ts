import type { LocationReplication } from '../oci/index.js';
import type { RegistryBackend } from './definition.js';
import { DEFAULT_LOCATION } from './registry-directory.js';
import type { RegistryRow } from './store.js';

/** How the API shows a registry: its definition, where it lives, and its probed state. */
export interface RegistryView {
  name: string;
  /** The first path segment of its images: `host/<path>/<repository>`. */
  path: string;
  namespace: string;
  description: string;
  tags: Record<string, string>;
  primary_location: string;
  locations: string[];
  backend: RegistryBackend | null;
  endpoint: string | null;
  bucket: string | null;
  anonymous_pull: boolean;
  default: boolean;
  /** A pull-through cache: its upstream, credential, tag TTL (seconds, null: the default) and counters. */
  proxy: {
    url: string;
    credential: string | null;
    ttl_seconds: number | null;
    stats?: Record<string, number>;
  } | null;
  state: string;
  state_reason: string | null;
  probed_at: string | null;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  /** Per location (a single registry's view): blobs and bytes held, pending copies, lag, last error. */
  replication?: LocationReplication[];
}

/** A location's endpoint and bucket, for the list (S3 locations have them; directories do not). */
export interface LocationInfo {
  endpoint: string | null;
  bucket: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/**
 * A registry's row as the API shows it; the endpoint and bucket are its own backend's or those of
 * its primary location (`locations`, or `defaultLocation` for `default`).
 */
export function registryView(
  row: RegistryRow,
  locations: ReadonlyMap<string, LocationInfo>,
  defaultLocation: LocationInfo,
  proxyStats?: (registry: string) => Record<string, number> | undefined,
): RegistryView {
  const backend = row.backend === null ? null : (JSON.parse(row.backend) as RegistryBackend);
  const where: LocationInfo = backend?.s3
    ? { endpoint: backend.s3.endpoint, bucket: backend.s3.bucket }
    : backend?.filesystem
      ? { endpoint: null, bucket: null }
      : row.primary_location === DEFAULT_LOCATION
        ? defaultLocation
        : (locations.get(row.primary_location) ?? { endpoint: null, bucket: null });
  return {
    name: row.name,
    path: row.name_key,
    namespace: row.namespace,
    description: row.description,
    tags: JSON.parse(row.tags) as Record<string, string>,
    primary_location: row.backend === null ? row.primary_location : 'own',
    locations: JSON.parse(row.locations) as string[],
    backend,
    endpoint: where.endpoint,
    bucket: where.bucket,
    anonymous_pull: row.anonymous_pull === 1,
    default: row.is_default === 1,
    proxy:
      row.proxy_url === null
        ? null
        : {
            url: row.proxy_url,
            credential: row.proxy_credential,
            ttl_seconds: row.proxy_ttl === null ? null : Number(row.proxy_ttl) / 1000,
            stats: proxyStats?.(row.name_key),
          },
    state: row.state,
    state_reason: row.state_reason,
    probed_at: iso(row.probed_at),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    created_by: row.created_by,
  };
}
