import { createHash } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { blocks, MiB, type BlobSpec } from './content.js';
import { countWithCurl, hashOverSocket } from './pull-client.js';

/** Keep-alive connections for everything but the HEAD load (which has its own agent of 32). */
export const defaultAgent = new Agent({ keepAlive: true, maxSockets: 128 });

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  /** Bytes of the response body. */
  bytes: number;
  /** sha256 of the body, when asked for. */
  digest?: string;
  /** The body, when asked for; the first 2 KiB of any error response. */
  body?: Buffer;
}

export interface CallOptions {
  headers?: Record<string, string | number>;
  /** Written block by block, waiting for 'drain' whenever the socket is full. */
  body?: Iterable<Buffer>;
  hash?: boolean;
  collect?: boolean;
  agent?: Agent;
}

/** One request; the response is counted, and hashed or kept only when asked. */
export function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = request(
      url,
      { method, agent: options.agent ?? defaultAgent, headers: options.headers },
      (res) => {
        let bytes = 0;
        const status = res.statusCode ?? 0;
        const hash = options.hash ? createHash('sha256') : undefined;
        const keep = options.collect || status >= 400;
        const kept: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          hash?.update(chunk);
          if (keep && (options.collect || bytes - chunk.length < 2048)) kept.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status,
            headers: res.headers,
            bytes,
            digest: hash ? `sha256:${hash.digest('hex')}` : undefined,
            body: keep ? Buffer.concat(kept) : undefined,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    (async () => {
      for (const chunk of options.body ?? []) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
}

/** The reply if its status is the expected one, else an error that quotes the server. */
export function expectStatus(reply: Reply, status: number, what: string): Reply {
  if (reply.status !== status) {
    const said = reply.body?.toString('utf8', 0, 300).trim();
    throw new Error(`${what}: expected ${status}, got ${reply.status}${said ? `: ${said}` : ''}`);
  }
  return reply;
}

function expectDigest(reply: Reply, digest: string, what: string): void {
  const got = reply.headers['docker-content-digest'];
  if (got !== digest) throw new Error(`${what}: Docker-Content-Digest ${String(got)}, expected ${digest}`);
}

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

async function startUpload(base: string, repo: string): Promise<string> {
  const r = expectStatus(await call(base, 'POST', `/v2/${repo}/blobs/uploads/`), 202, 'start upload');
  const location = r.headers.location;
  if (!location) throw new Error('start upload: no Location');
  return location;
}

/**
 * A monolithic upload as both servers take it: POST, then one PUT ?digest= with the whole body.
 * (registry:2 2.8 answers a `POST ?digest=` with 202 and ignores its body.)
 */
export async function pushMonolithic(base: string, repo: string, blob: BlobSpec): Promise<void> {
  const location = await startUpload(base, repo);
  const r = await call(base, 'PUT', withDigest(location, blob.digest), {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.size },
    body: blocks(blob),
  });
  expectStatus(r, 201, 'monolithic PUT');
  expectDigest(r, blob.digest, 'monolithic PUT');
}

/** A small blob from memory (config, layer of the manifest image). */
export async function pushBuffer(base: string, repo: string, data: Buffer, digest: string): Promise<void> {
  const location = await startUpload(base, repo);
  const r = await call(base, 'PUT', withDigest(location, digest), {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length },
    body: [data],
  });
  expectStatus(r, 201, 'blob PUT');
  expectDigest(r, digest, 'blob PUT');
}

/** The next `length` bytes of a block stream (chunk sizes are whole blocks). */
function* take(source: Iterator<Buffer>, length: number): Generator<Buffer> {
  for (let got = 0; got < length;) {
    const next = source.next();
    if (next.done) return;
    got += next.value.length;
    yield next.value;
  }
}

/** POST, then PATCH chunks of `chunk` bytes with Content-Range, then PUT ?digest= without a body. */
export async function pushChunked(
  base: string,
  repo: string,
  blob: BlobSpec,
  chunk = 8 * MiB,
): Promise<void> {
  if (chunk % MiB !== 0) throw new Error('chunk size must be whole MiB');
  let location = await startUpload(base, repo);
  const all = blocks(blob);
  for (let offset = 0; offset < blob.size; offset += chunk) {
    const length = Math.min(chunk, blob.size - offset);
    const r = await call(base, 'PATCH', location, {
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': length,
        'Content-Range': `${offset}-${offset + length - 1}`,
      },
      body: take(all, length),
    });
    expectStatus(r, 202, `PATCH at ${offset}`);
    if (!r.headers.location) throw new Error('PATCH: no Location');
    location = r.headers.location;
  }
  const r = expectStatus(await call(base, 'PUT', withDigest(location, blob.digest)), 201, 'chunked PUT');
  expectDigest(r, blob.digest, 'chunked PUT');
}

/** GET a blob: curl counts its bytes or, with `verify`, a socket client here hashes them. */
export async function pull(base: string, repo: string, blob: BlobSpec, verify: boolean): Promise<void> {
  const url = `${base}/v2/${repo}/blobs/${blob.digest}`;
  const r = verify ? await hashOverSocket(url) : await countWithCurl(url);
  if (r.status !== 200) throw new Error(`pull: expected 200, got ${r.status}`);
  if (r.bytes !== blob.size) throw new Error(`pull: ${r.bytes} bytes, expected ${blob.size}`);
  if (verify && r.digest !== blob.digest)
    throw new Error(`pull: digest ${r.digest}, expected ${blob.digest}`);
}

export async function putManifest(
  base: string,
  repo: string,
  reference: string,
  manifest: Buffer,
  mediaType: string,
): Promise<string> {
  const r = await call(base, 'PUT', `/v2/${repo}/manifests/${reference}`, {
    headers: { 'Content-Type': mediaType, 'Content-Length': manifest.length },
    body: [manifest],
  });
  expectStatus(r, 201, 'manifest PUT');
  return String(r.headers['docker-content-digest']);
}
