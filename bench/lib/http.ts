import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';
import { blocks, MiB, type BlobSpec } from './content.js';

export const agent = new Agent({ keepAlive: true, maxSockets: 128 });

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: number;
  digest?: string;
}

/** One request; the body is written block by block with backpressure; the response is counted, optionally hashed. */
export function call(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string | number>; body?: Iterable<Buffer>; hash?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = request(url, { method, agent, headers: options.headers }, (res) => {
      let bytes = 0;
      const hash = options.hash ? createHash('sha256') : undefined;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash?.update(chunk);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes,
          digest: hash ? `sha256:${hash.digest('hex')}` : undefined,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    (async () => {
      for (const chunk of options.body ?? []) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
}

function expect(reply: Reply, status: number, what: string): Reply {
  if (reply.status !== status) throw new Error(`${what}: expected ${status}, got ${reply.status}`);
  return reply;
}

async function startUpload(base: string, repo: string): Promise<string> {
  const r = expect(await call(base, 'POST', `/v2/${repo}/blobs/uploads/`), 202, 'start upload');
  return String(r.headers.location);
}

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

/** POST, then one PUT with the whole body (what both registries accept as a monolithic upload). */
export async function pushMonolithic(base: string, repo: string, blob: BlobSpec): Promise<void> {
  const location = await startUpload(base, repo);
  const r = await call(base, 'PUT', withDigest(location, blob.digest), {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.size },
    body: blocks(blob),
  });
  expect(r, 201, 'monolithic PUT');
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

/** POST, PATCH chunks of `chunk` bytes with Content-Range, then PUT ?digest=. */
export async function pushChunked(
  base: string,
  repo: string,
  blob: BlobSpec,
  chunk = 8 * MiB,
): Promise<void> {
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
    expect(r, 202, 'PATCH');
    location = String(r.headers.location);
  }
  expect(await call(base, 'PUT', withDigest(location, blob.digest)), 201, 'chunked PUT');
}

export async function pull(base: string, repo: string, blob: BlobSpec, verify: boolean): Promise<void> {
  const r = expect(
    await call(base, 'GET', `/v2/${repo}/blobs/${blob.digest}`, { hash: verify }),
    200,
    'pull',
  );
  if (r.bytes !== blob.size) throw new Error(`pull: ${r.bytes} bytes, expected ${blob.size}`);
  if (verify && r.digest !== blob.digest)
    throw new Error(`pull: digest ${r.digest}, expected ${blob.digest}`);
}

export async function putManifest(base: string, repo: string, tag: string, manifest: Buffer, type: string) {
  const r = await call(base, 'PUT', `/v2/${repo}/manifests/${tag}`, {
    headers: { 'Content-Type': type, 'Content-Length': manifest.length },
    body: [manifest],
  });
  return expect(r, 201, 'manifest PUT');
}
