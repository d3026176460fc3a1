import { STATUS_CODES } from 'node:http';
import { mayPresent, Outbound, OutboundError, registryBase, type OutboundResponse } from '../../net/index.js';
import type { RegistryCredential } from '../credentials.js';

export interface ProbeOptions {
  timeoutMs: number;
  credential?: RegistryCredential;
  /** Aborts the probe early (server shutdown). */
  signal?: AbortSignal;
  /** Extra trusted CA certificates for https (tests, private CAs). */
  ca?: string | Buffer;
  /** The server's outbound requests (its destination policy and timeouts); default: the defaults. */
  outbound?: Outbound;
}

export interface ProbeResult {
  status: 'up' | 'down';
  reachable: boolean;
  status_code: number | null;
  reason: string | null;
  latency_ms: number | null;
  api_version: string | null;
  tls_expires_at: string | null;
  error: string | null;
}

const apiHeader = 'docker-distribution-api-version';

function down(error: string, partial: Partial<ProbeResult> = {}): ProbeResult {
  return {
    status: 'down',
    reachable: false,
    status_code: null,
    reason: null,
    latency_ms: null,
    api_version: null,
    tls_expires_at: null,
    ...partial,
    error,
  };
}

/** `<publicUrl>/v2/`, or why there is none. */
export function probeUrl(publicUrl: string): URL | string {
  if (publicUrl.trim() === '') return 'the entry has no public URL';
  let base: URL;
  try {
    base = new URL(publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`);
  } catch {
    return `public URL ${JSON.stringify(publicUrl)} is not a URL (expected e.g. https://registry.example.com)`;
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    return `public URL ${JSON.stringify(publicUrl)} is not an http:// or https:// URL`;
  }
  return new URL('v2/', registryBase(base.href));
}

/**
 * Ask a registry's `/v2/` whether it is up: 200, or 401 carrying the Docker/OCI API version header
 * (a registry that wants credentials is up). Never throws and never outlives `timeoutMs`; the
 * request goes through the outbound module (destination policy, socket released, coarse errors),
 * and a credential is attached only when the URL is the exact origin it was stored for.
 */
export async function probeRegistry(publicUrl: string, options: ProbeOptions): Promise<ProbeResult> {
  const url = probeUrl(publicUrl);
  if (typeof url === 'string') return down(url);
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'arca-catalog-health' };
  const credential = options.credential;
  if (credential && mayPresent(credential.registry, url)) {
    const { username, password } = credential;
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  const outbound = options.outbound ?? new Outbound();
  let answer: OutboundResponse;
  try {
    // Headers only: the body says nothing the status and headers do not.
    answer = await outbound.request(url, {
      headers,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      ca: options.ca,
      maxBodyBytes: 0,
    });
  } catch (err) {
    const message =
      err instanceof OutboundError
        ? err.kind === 'cancelled'
          ? 'check cancelled'
          : err.message
        : 'unreachable';
    return down(message);
  }
  const code = answer.status;
  const version = answer.headers[apiHeader];
  const apiVersion = typeof version === 'string' ? version : null;
  const up = code === 200 || (code === 401 && apiVersion !== null);
  return {
    status: up ? 'up' : 'down',
    reachable: true,
    status_code: code,
    reason: answer.statusMessage || STATUS_CODES[code] || null,
    latency_ms: answer.latencyMs,
    api_version: apiVersion,
    tls_expires_at: answer.tlsValidTo,
    error: up
      ? null
      : code === 401
        ? 'HTTP 401 without a Docker-Distribution-API-Version header: not a registry API'
        : `HTTP ${code} from /v2/${apiVersion ? '' : ' (no Docker-Distribution-API-Version header)'}`,
  };
}
