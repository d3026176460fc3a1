import { request as httpRequest, STATUS_CODES, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { RegistryCredential } from '../credentials.js';

export interface ProbeOptions {
  timeoutMs: number;
  credential?: RegistryCredential;
  /** Aborts the probe early (server shutdown). */
  signal?: AbortSignal;
  /** Extra trusted CA certificates for https (tests, private CAs). */
  ca?: string | Buffer;
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
  return new URL('v2/', base);
}

/**
 * Ask a registry's `/v2/` whether it is up: 200, or 401 carrying the Docker/OCI API version header
 * (a registry that wants credentials is up). Never throws and never outlives `timeoutMs`.
 */
export function probeRegistry(publicUrl: string, options: ProbeOptions): Promise<ProbeResult> {
  const url = probeUrl(publicUrl);
  if (typeof url === 'string') return Promise.resolve(down(url));
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'arca-catalog-health' };
  if (options.credential) {
    const { username, password } = options.credential;
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  const https = url.protocol === 'https:';
  const started = performance.now();
  let tlsExpiresAt: string | null = null;

  return new Promise<ProbeResult>((resolve) => {
    const onResponse = (res: IncomingMessage) => {
      const latency = Math.round((performance.now() - started) * 10) / 10;
      const code = res.statusCode ?? 0;
      const version = res.headers[apiHeader];
      const apiVersion = typeof version === 'string' ? version : null;
      res.destroy();
      const up = code === 200 || (code === 401 && apiVersion !== null);
      const result: ProbeResult = {
        status: up ? 'up' : 'down',
        reachable: true,
        status_code: code,
        reason: res.statusMessage || STATUS_CODES[code] || null,
        latency_ms: latency,
        api_version: apiVersion,
        tls_expires_at: tlsExpiresAt,
        error: up
          ? null
          : code === 401
            ? 'HTTP 401 without a Docker-Distribution-API-Version header: not a registry API'
            : `HTTP ${code} from /v2/${apiVersion ? '' : ' (no Docker-Distribution-API-Version header)'}`,
      };
      resolve(result);
    };
    // A fresh connection each time (no agent): latency includes connecting, and TLS shows its certificate.
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', headers, agent: false, signal, ...(https && options.ca ? { ca: options.ca } : {}) },
      onResponse,
    );
    req.on('socket', (socket) => {
      if (!https) return;
      socket.once('secureConnect', () => {
        const cert = (socket as TLSSocket).getPeerCertificate();
        if (cert?.valid_to) tlsExpiresAt = new Date(cert.valid_to).toISOString();
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const message = timeout.aborted
        ? `no answer within ${options.timeoutMs} ms`
        : signal.aborted
          ? 'check cancelled'
          : err.message || err.code || String(err);
      resolve(down(message, { tls_expires_at: tlsExpiresAt }));
    });
    req.end();
  });
}
