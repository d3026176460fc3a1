import assert from 'node:assert/strict';
import { request as httpRequest, type Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { Credentials } from './htpasswd.js';

/**
 * Who a request is from: a user's password (Basic), a token or API key (`{ bearer }`), a whole
 * Authorization value as it is, or nobody (`null` says so where a default would apply).
 */
export type Auth = Credentials | { bearer: string } | string | null | undefined;

export interface CallOptions {
  auth?: Auth;
  /** Sent as JSON, with `content-type: application/json` unless `headers` say otherwise. */
  json?: unknown;
  /** Sent as it is (a stream is piped); the caller sets its content type. */
  body?: string | Buffer | Readable;
  headers?: Record<string, string>;
  /** The local address to connect from, to act as another client (127.0.0.2, …). */
  from?: string;
  /** An agent (e.g. kept-alive connections); by default every request has a connection of its own. */
  agent?: Agent;
  /** CA to trust for an https base. */
  ca?: Buffer;
  /** Fail instead of hanging when the server does not answer in time. */
  timeoutMs?: number;
}

/** What came back: the body whole, and parsed when it is JSON. */
export interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  /** The body parsed as JSON; `{}` when empty, `{ text }` when it is not JSON. */
  body: Record<string, unknown>;
  /** From sending the request to the last byte of the answer. */
  ms: number;
}

/** An /api/v1 error (problem+json). */
export interface Problem extends Record<string, unknown> {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
}

export function basicAuth(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.user}:${creds.pass}`).toString('base64')}`;
}

/** The Authorization header for `auth`, or none. */
export function authorization(auth: Auth): Record<string, string> {
  if (auth === undefined || auth === null) return {};
  if (typeof auth === 'string') return { authorization: auth };
  if ('bearer' in auth) return { authorization: `Bearer ${auth.bearer}` };
  return { authorization: basicAuth(auth) };
}

function parse(text: string): Record<string, unknown> {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { text };
  } catch {
    return { text };
  }
}

/**
 * One HTTP request to `base` (`http://` or `https://`): `path` relative to it, or a whole URL such as
 * an upload's Location. Redirects are not followed. Rejects only when no answer comes.
 */
export function apiCall(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  const url = new URL(path, base);
  let payload = opts.body;
  const headers: Record<string, string> = { accept: '*/*', ...authorization(opts.auth) };
  if (opts.json !== undefined) {
    payload = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  }
  if (payload !== undefined && !(payload instanceof Readable)) {
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  Object.assign(headers, opts.headers);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        headers,
        agent: opts.agent ?? false,
        localAddress: opts.from,
        ca: opts.ca,
        signal: opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const received = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            received.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          }
          const bytes = Buffer.concat(chunks);
          const text = bytes.toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: received,
            bytes,
            text,
            body: parse(text),
            ms: performance.now() - started,
          });
        });
      },
    );
    req.on('error', reject);
    if (payload instanceof Readable) payload.pipe(req);
    else req.end(payload);
  });
}

/** The first OCI error code of a /v2 answer (`{"errors":[{"code":…}]}`). */
export function errorCode(answer: Answer): string | undefined {
  return (answer.body.errors as { code: string }[] | undefined)?.[0]?.code;
}

/** Calls to one server, signed in as `auth` unless a call says otherwise. */
export interface ApiClient {
  call(method: string, path: string, opts?: CallOptions): Promise<Answer>;
  /** A JSON call that must succeed (a 2xx): the answer, else the failure names status and body. */
  ok(method: string, path: string, json?: unknown): Promise<Answer>;
}

/** `base` may be a function, for a server started (or restarted) after the client is made. */
export function apiClient(base: string | (() => string), auth?: Auth): ApiClient {
  const url = () => (typeof base === 'string' ? base : base());
  const call = (method: string, path: string, opts: CallOptions = {}) =>
    apiCall(url(), method, path, { auth, ...opts });
  return {
    call,
    ok: async (method, path, json) => {
      const answer = await call(method, path, { json });
      assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer;
    },
  };
}
