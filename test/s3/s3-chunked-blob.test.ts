import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { startArca, rssOf, type RunningArca } from '../helpers/arca.js';
import { stopSharedCephRgw } from '../helpers/ceph-rgw.js';
import { storages } from '../helpers/storages.js';

const MiB = 1 << 20;
/**
 * Size of the blob, in MiB. CI pushes 512 MiB; the figure is 5 GiB
 * (`ARCA_TEST_CHUNKED_BLOB_MIB=5120`, with `ARCA_TEST_S3_MEMSTORE_GIB` above that).
 */
const sizeMiB = Number(process.env.ARCA_TEST_CHUNKED_BLOB_MIB ?? 512);
/** The bound on Arca's resident memory while a blob of any size goes through it. */
const rssLimit = 250 * 1000 * 1000;

const base = createHash('sha512').update('chunked').digest();
const baseBlock = Buffer.from(Buffer.alloc(MiB).map((_, i) => base[i % 64]! ^ (i >> 6)));
const block = Buffer.alloc(MiB);

/** Block `i` of the blob (1 MiB, its index stamped in): one buffer rewritten in place. */
function blockAt(i: number): Buffer {
  baseBlock.copy(block);
  block.writeUInt32BE(i, 0);
  return block;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: Buffer,
  onData?: (chunk: Buffer) => void,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers, agent }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (onData && res.statusCode === 200 ? onData(c) : (text += c.toString())));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

after(stopSharedCephRgw);

describe(
  'a large blob in 1 MiB chunks on S3',
  { skip: !storages().includes('s3') && 'S3 not selected' },
  () => {
    let arca: RunningArca | undefined;
    after(async () => {
      await arca?.stop();
    });

    test(`${sizeMiB} MiB in 1 MiB PATCHes: completes, verifies, RSS under 250 MB throughout`, async () => {
      arca = await startArca({ storage: 's3' });
      const pid = arca.pid;
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
      try {
        const repo = 'big/chunked';
        const started = await call(arca.url, 'POST', `/v2/${repo}/blobs/uploads/`);
        assert.equal(started.status, 202, started.text);
        let location = String(started.headers.location);
        const hash = createHash('sha256');
        const t0 = performance.now();
        for (let i = 0; i < sizeMiB; i++) {
          const data = blockAt(i);
          hash.update(data);
          const r = await call(
            arca.url,
            'PATCH',
            location,
            {
              'Content-Type': 'application/octet-stream',
              'Content-Length': MiB,
              'Content-Range': `${i * MiB}-${(i + 1) * MiB - 1}`,
            },
            data,
          );
          assert.equal(r.status, 202, `PATCH ${i}: ${r.text}`);
          location = String(r.headers.location);
        }
        const digest = `sha256:${hash.digest('hex')}`;
        const done = await call(
          arca.url,
          'PUT',
          `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`,
        );
        assert.equal(done.status, 201, done.text);
        const pushSeconds = (performance.now() - t0) / 1000;
        const pushPeak = peak;

        // Read back through Arca (the harness proxies blob GETs on S3) and hash what arrives.
        const readBack = createHash('sha256');
        let bytes = 0;
        const t1 = performance.now();
        const got = await call(arca.url, 'GET', `/v2/${repo}/blobs/${digest}`, {}, undefined, (c) => {
          bytes += c.length;
          readBack.update(c);
        });
        assert.equal(got.status, 200, got.text);
        assert.equal(bytes, sizeMiB * MiB);
        assert.equal(`sha256:${readBack.digest('hex')}`, digest);
        const pullSeconds = (performance.now() - t1) / 1000;
        const mb = (n: number) => (n / 1e6).toFixed(0);
        console.log(
          `# ${sizeMiB} MiB in ${sizeMiB} PATCHes: ${(sizeMiB / pushSeconds).toFixed(1)} MiB/s, ` +
            `read back ${(sizeMiB / pullSeconds).toFixed(0)} MiB/s; Arca's peak RSS ${mb(pushPeak)} MB pushing, ${mb(peak)} MB overall`,
        );
        assert.ok(peak < rssLimit, `Arca's RSS reached ${mb(peak)} MB`);
      } finally {
        clearInterval(sampler);
      }
    });
  },
);
