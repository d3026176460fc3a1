import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { apiCall } from '../helpers/api-client.js';
import { startArca, rssOf, type RunningArca } from '../helpers/arca.js';
import { stopSharedCephRgw } from '../helpers/ceph-rgw.js';
import { dialects } from '../helpers/dialects.js';
import { storageLabel, storages } from '../helpers/storages.js';

const seedBlock = createHash('sha512').update('arca').digest();
const baseBlock = Buffer.alloc(1 << 20, 0).map((_, i) => seedBlock[i % 64]! ^ (i >> 6));

/** Deterministic bytes, generated 1 MiB at a time so the test never holds a blob; each block differs. */
function* pattern(total: number): Generator<Buffer> {
  let index = 0;
  for (let sent = 0; sent < total; sent += baseBlock.length) {
    const block = Buffer.from(baseBlock.subarray(0, Math.min(baseBlock.length, total - sent)));
    if (block.length >= 8) block.writeBigUInt64BE(BigInt(index++));
    yield block;
  }
}

function digestOfPattern(total: number): string {
  const hash = createHash('sha256');
  for (const block of pattern(total)) hash.update(block);
  return `sha256:${hash.digest('hex')}`;
}

/** Stream a body to the server; resolves with the status code. */
const send = (
  base: string,
  method: string,
  path: string,
  body: Readable,
  headers: Record<string, string> = {},
) => apiCall(base, method, path, { body, headers });

after(stopSharedCephRgw);

for (const [dialect, storage] of dialects().flatMap((d) => storages().map((s) => [d, s] as const))) {
  describe(`durability and memory (${dialect}${storageLabel(storage)})`, () => {
    let arca: RunningArca | undefined;
    after(async () => {
      await arca?.stop();
    });

    test('an upload interrupted by kill -9 continues from the offset the server reports', async () => {
      arca = await startArca({ dialect, storage });
      const repo = 'durable/upload';
      const total = 24 << 20;
      const digest = digestOfPattern(total);
      const start = await fetch(`${arca.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      assert.equal(start.status, 202);
      const location = start.headers.get('location')!;

      // Send a first part, then kill the server while a second chunk is still streaming in.
      const first = Readable.from(pattern(8 << 20));
      const r1 = await send(arca.url, 'PATCH', location, first, {
        'Content-Type': 'application/octet-stream',
      });
      assert.equal(r1.status, 202);
      const slow = new Readable({ read() {} });
      const inFlight = send(arca.url, 'PATCH', location, slow, {
        'Content-Type': 'application/octet-stream',
      }).catch(() => ({ status: 0 }));
      const blocks = [...pattern(total)].slice(8);
      slow.push(blocks[0]);
      slow.push(blocks[1]);
      await new Promise((r) => setTimeout(r, 300));
      arca.kill('SIGKILL');
      await inFlight;
      arca = await arca.restart();

      const status = await fetch(new URL(location, arca.url));
      assert.equal(status.status, 204);
      const range = status.headers.get('range')!;
      const offset = Number(range.split('-')[1]) + 1;
      assert.ok(offset >= 8 << 20 && offset <= total, `offset ${offset}`);

      const rest = Readable.from(
        (function* () {
          let position = 0;
          for (const block of pattern(total)) {
            const end = position + block.length;
            if (end > offset) yield block.subarray(Math.max(offset - position, 0));
            position = end;
          }
        })(),
      );
      const r2 = await send(arca.url, 'PATCH', location, rest, {
        'Content-Type': 'application/octet-stream',
        'Content-Range': `${offset}-${total - 1}`,
      });
      assert.equal(r2.status, 202);
      const done = await fetch(new URL(`${location}?digest=${digest}`, arca.url), { method: 'PUT' });
      assert.equal(done.status, 201, await done.text());
      const head = await fetch(`${arca.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
      assert.equal(head.headers.get('content-length'), String(total));
    });

    test('memory stays flat in blob size while receiving', async () => {
      arca ??= await startArca({ dialect, storage });
      const peakWhilePushing = async (size: number) => {
        let peak = 0;
        const timer = setInterval(() => (peak = Math.max(peak, rssOf(arca!.pid))), 50);
        const r = await send(
          arca!.url,
          'POST',
          `/v2/memory/blob/blobs/uploads/?digest=${digestOfPattern(size)}`,
          Readable.from(pattern(size)),
          { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
        );
        clearInterval(timer);
        assert.equal(r.status, 201);
        return peak;
      };
      const small = await peakWhilePushing(64 << 20);
      const large = await peakWhilePushing(1 << 30);
      const mb = (n: number) => Math.round(n / (1 << 20));
      console.log(`# RSS peak while receiving: 64 MiB blob ${mb(small)} MB, 1 GiB blob ${mb(large)} MB`);
      // S3 holds a part (chunksize, 10 MiB) and its encrypted copy in flight, and loads the AWS SDK.
      const limit = storage === 's3' ? 256 << 20 : 200 << 20;
      assert.ok(large < limit, `RSS ${mb(large)} MB for a 1 GiB blob`);
      assert.ok(large < small + (48 << 20), `RSS grew from ${mb(small)} MB to ${mb(large)} MB`);
    });

    test('memory stays flat while sending a 1 GiB blob', async () => {
      arca ??= await startArca({ dialect });
      const size = 1 << 30;
      const digest = digestOfPattern(size);
      const head = await fetch(`${arca.url}/v2/memory/blob/blobs/${digest}`, { method: 'HEAD' });
      if (head.status !== 200) {
        const r = await send(
          arca.url,
          'POST',
          `/v2/memory/blob/blobs/uploads/?digest=${digest}`,
          Readable.from(pattern(size)),
          { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
        );
        assert.equal(r.status, 201);
      }
      let peak = 0;
      const timer = setInterval(() => (peak = Math.max(peak, rssOf(arca!.pid))), 50);
      const got = await new Promise<string>((resolve, reject) => {
        request(`${arca!.url}/v2/memory/blob/blobs/${digest}`, (res) => {
          const hash = createHash('sha256');
          res.on('data', (chunk: Buffer) => hash.update(chunk));
          res.on('end', () => resolve(`sha256:${hash.digest('hex')}`));
          res.on('error', reject);
        })
          .on('error', reject)
          .end();
      });
      clearInterval(timer);
      assert.equal(got, digest);
      const mb = Math.round(peak / (1 << 20));
      console.log(`# RSS peak while sending a 1 GiB blob: ${mb} MB`);
      // On S3 Arca relays the bucket's bytes, with the SDK's socket buffers: the 250 MB bound.
      const sendLimit = storage === 's3' ? 250 << 20 : 200 << 20;
      assert.ok(peak < sendLimit, `RSS ${mb} MB while sending a 1 GiB blob`);
    });
  });
}
