/** The outcome of one health check of a catalog entry's registry. Field names follow the AIOS API. */
export interface HealthRecord {
  container_registry_id: string;
  /** The entry's public URL (the probe asks `<url>/v2/`). */
  url: string;
  /** up: `/v2/` answered 200, or 401 with a Docker-Distribution-API-Version header. */
  status: 'up' | 'down';
  /** An HTTP answer came back at all. */
  reachable: boolean;
  status_code: number | null;
  reason: string | null;
  /** Milliseconds from the request to the response headers. */
  latency_ms: number | null;
  /** The Docker-Distribution-API-Version header, e.g. "registry/2.0". */
  api_version: string | null;
  /** When the server's TLS certificate expires (https URLs), ISO 8601. */
  tls_expires_at: string | null;
  /** Why the registry is down. */
  error: string | null;
  checked_at: string;
}
