import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { classifyOutboundError, OutboundError } from './outbound-error.js';
import { DestinationPolicy, defaultDeniedDestinations } from './policy.js';

/** The `outbound` section of the configuration, in milliseconds. */
export interface OutboundSettings {
  /** The whole request, from resolving the name to the last byte of the answer. */
  timeout: number;
  /** Resolving the name and establishing the TCP connection. */
  connecttimeout: number;
  allow: readonly string[];
  deny: readonly string[];
}

/** What connections made elsewhere (the S3 SDK's agents) need to obey the same policy. */
export type DestinationGuard = Pick<Outbound, 'lookup' | 'hostRefusal'>;

export const defaultOutboundSettings: OutboundSettings = Object.freeze({
  timeout: 30_000,
  connecttimeout: 10_000,
  allow: [],
  deny: defaultDeniedDestinations,
});

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Shorter than the configured total timeout (a health check's own); never longer. */
  timeoutMs?: number;
  /** Cancels the request (server shutdown). */
  signal?: AbortSignal;
  /** Extra trusted CA certificates for https (tests, private CAs). */
  ca?: string | Buffer;
  /** Read at most this many bytes of the body (default 1 MiB; more is an error); 0: headers only. */
  maxBodyBytes?: number;
}

export interface OutboundResponse {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Milliseconds from the start to the response headers. */
  latencyMs: number;
  /** When the server's certificate expires (https), ISO 8601. */
  tlsValidTo: string | null;
}

/** An answer whose body is read by the caller, as a stream (a blob of any size). */
export interface OutboundStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body; it fails when no byte comes for the configured timeout. */
  body: IncomingMessage;
  /** Release the connection (whether or not the body was read). */
  close(): void;
}

/** Where a failed request's detail goes (the server log). */
export interface OutboundLog {
  info(obj: object, msg: string): void;
}

const defaultMaxBody = 1 << 20;

/**
 * Every HTTP request Arca sends to another server goes through here (health checks, credential
 * tests, token realms, CORS preflights): bounded in time, its socket always released, its
 * destination checked against one policy.
 *
 * - A fresh connection per request (`agent: false`, `Connection: close`) that is destroyed once the
 *   answer is read, whatever happened: nothing is left on a keep-alive pool or half-open.
 * - The host name is resolved here, every address it resolves to is checked, and the connection
 *   goes to the checked address (the `lookup` hook answers the socket's own lookup), so a DNS answer
 *   that changes between check and connect (rebinding) cannot reach a denied address.
 * - Redirects are never followed: the caller decides (credentials must not follow them elsewhere).
 * - Errors are `OutboundError`s whose message is safe for any caller; the raw cause goes to the log.
 */
export class Outbound {
  readonly settings: OutboundSettings;
  readonly policy: DestinationPolicy;

  constructor(
    settings: Partial<OutboundSettings> = {},
    private readonly log?: OutboundLog,
  ) {
    this.settings = { ...defaultOutboundSettings, ...settings };
    this.policy = new DestinationPolicy(this.settings);
  }

  /** A `lookup` for sockets that resolves, checks every address against the policy, and pins one. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      for (const { address } of addresses) {
        const refusal = this.policy.refusal(address);
        if (refusal) return callback(new OutboundError('denied', `${hostname}: ${refusal}`), '', 0);
      }
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };

  /** Why `url` may not be requested before any connection, or undefined. */
  refusal(url: URL): string | undefined {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol} is not http or https`;
    return this.hostRefusal(url.hostname);
  }

  /**
   * Why a connection to `host` may not even start: an address literal skips the socket's lookup,
   * so it is checked here; a name is checked by `lookup` when the socket resolves it.
   */
  hostRefusal(host: string): string | undefined {
    const bare = host.replace(/^\[|\]$/g, '');
    return isIP(bare) ? this.policy.refusal(bare) : undefined;
  }

  /** Send one request and read its answer; rejects with an OutboundError. */
  request(target: URL | string, init: OutboundRequest = {}): Promise<OutboundResponse> {
    const url = typeof target === 'string' ? new URL(target) : target;
    const started = performance.now();
    const refusal = this.refusal(url);
    if (refusal) return Promise.reject(this.failed(url, new OutboundError('denied', refusal), false));
    const total = Math.min(init.timeoutMs ?? this.settings.timeout, this.settings.timeout);
    const connectMs = Math.min(this.settings.connecttimeout, total);
    const maxBody = init.maxBodyBytes ?? defaultMaxBody;
    const https = url.protocol === 'https:';
    if (init.signal?.aborted) return Promise.reject(new OutboundError('cancelled', 'cancelled'));

    return new Promise<OutboundResponse>((resolve, reject) => {
      let connected = false;
      let socket: Socket | undefined;
      let tlsValidTo: string | null = null;
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const end = () => {
        settled = true;
        for (const t of timers) clearTimeout(t);
        init.signal?.removeEventListener('abort', onAbort);
        // Whatever happened, the connection is not reused: release it now.
        req.destroy();
        socket?.destroy();
      };
      const fail = (err: unknown) => {
        if (settled) return;
        end();
        reject(this.failed(url, classifyOutboundError(err, connected), connected));
      };
      const onAbort = () => fail(new OutboundError('cancelled', 'cancelled'));

      const req = (https ? httpsRequest : httpRequest)(url, {
        method: init.method ?? 'GET',
        headers: { ...init.headers, Connection: 'close' },
        agent: false,
        lookup: this.lookup,
        ...(https && init.ca ? { ca: init.ca } : {}),
      });
      timers.push(
        setTimeout(() => fail(new OutboundError('timeout', `no answer within ${total} ms`)), total),
        setTimeout(() => {
          if (!connected) fail(new OutboundError('timeout', `could not connect within ${connectMs} ms`));
        }, connectMs),
      );
      init.signal?.addEventListener('abort', onAbort, { once: true });

      req.on('socket', (s) => {
        socket = s;
        s.once('connect', () => (connected = true));
        if (https) {
          s.once('secureConnect', () => {
            const cert = (s as TLSSocket).getPeerCertificate();
            if (cert?.valid_to) tlsValidTo = new Date(cert.valid_to).toISOString();
          });
        }
      });
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        const latencyMs = Math.round((performance.now() - started) * 10) / 10;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          if (settled) return;
          end();
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks),
            latencyMs,
            tlsValidTo,
          });
        };
        if (maxBody === 0) return done();
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBody)
            return fail(new OutboundError('too-large', `answer larger than ${maxBody} bytes`));
          chunks.push(chunk);
        });
        res.on('end', done);
        res.on('error', fail);
        res.on('aborted', () => fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
      });
      req.end(init.body);
    });
  }

  /**
   * Send one GET or HEAD and hand over the answer's body as a stream: the same policy and fresh
   * connection as `request`; connecting is bounded by `connecttimeout`, the headers by `timeout`
   * (or `timeoutMs`), and the body by `timeout` without a byte (not in total: a blob takes as long
   * as it takes). Redirects are not followed.
   */
  stream(target: URL, init: Omit<OutboundRequest, 'body' | 'maxBodyBytes'> = {}): Promise<OutboundStream> {
    const url = target;
    const refusal = this.refusal(url);
    if (refusal) return Promise.reject(this.failed(url, new OutboundError('denied', refusal), false));
    const total = Math.min(init.timeoutMs ?? this.settings.timeout, this.settings.timeout);
    const idle = this.settings.timeout;
    const https = url.protocol === 'https:';
    return new Promise<OutboundStream>((resolve, reject) => {
      let connected = false;
      let answered = false;
      const req = (https ? httpsRequest : httpRequest)(url, {
        method: init.method ?? 'GET',
        headers: { ...init.headers, Connection: 'close' },
        agent: false,
        lookup: this.lookup,
        ...(https && init.ca ? { ca: init.ca } : {}),
      });
      const close = () => {
        clearTimeout(headersTimer);
        clearTimeout(connectTimer);
        init.signal?.removeEventListener('abort', onAbort);
        req.destroy();
      };
      const fail = (err: unknown) => {
        close();
        if (!answered) reject(this.failed(url, classifyOutboundError(err, connected), connected));
      };
      const onAbort = () => fail(new OutboundError('cancelled', 'cancelled'));
      const headersTimer = setTimeout(
        () => fail(new OutboundError('timeout', `no answer within ${total} ms`)),
        total,
      );
      const connectTimer = setTimeout(
        () => {
          if (!connected)
            fail(new OutboundError('timeout', `could not connect within ${this.settings.connecttimeout} ms`));
        },
        Math.min(this.settings.connecttimeout, total),
      );
      if (init.signal?.aborted) return fail(new OutboundError('cancelled', 'cancelled'));
      init.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('socket', (s) => {
        s.once('connect', () => (connected = true));
        s.setTimeout(idle, () => req.destroy(new OutboundError('timeout', `no data for ${idle} ms`)));
      });
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        answered = true;
        clearTimeout(headersTimer);
        clearTimeout(connectTimer);
        res.on('error', () => req.destroy());
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, close });
      });
      req.end();
    });
  }

  private failed(url: URL, err: OutboundError, connected: boolean): OutboundError {
    this.log?.info(
      { target: url.origin, kind: err.kind, connected, detail: err.detail ?? err.message },
      'outbound request failed',
    );
    return err;
  }
}
