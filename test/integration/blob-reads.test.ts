import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync, rmSync, truncateSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { apiCall, errorCode, type Answer } from '../helpers/api-client.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { dialects } from '../helpers/dialects.js';
import { sha256 } from '../helpers/images.js';
import { pushBlob } from '../helpers/oci-push.js';
import { eventually } from '../helpers/wait-for.js';

const MiB = 1 << 20;

/** One request (on `agent`, when given); the whole body is collected. */
const get = (
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<Answer> =>
  apiCall(base, options.method ?? 'GET', path, { headers: options.headers, agent: options.agent });

/** The paths the process's open descriptors point to. */
function openFiles(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed while we looked
    }
  }
  return out;
}

/** How long a released descriptor or a log line may take. */
const soon = { timeoutMs: 5000, intervalMs: 25 };

for (const dialect of dialects()) {
  describe(`blob reads (${dialect})`, () => {
    let arca: RunningArca;
    const repo = 'reads/blobs';
    // Several read buffers long, and not a multiple of any buffer size.
    const big = randomBytes(5 * MiB + 12_345);
    const bigDigest = sha256(big);
    const blobFile = (digest: string) =>
      join(arca.dataDir, 'storage', 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));

    const push = (data: Buffer) => pushBlob(arca.url, repo, data);

    before(async () => {
      arca = await startArca({ dialect });
      await push(big);
    });
    after(async () => {
      await arca?.stop();
    });

    test('whole blobs, ranges and HEAD, one after another on a kept-alive connection', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const small = randomBytes(3000);
        const empty = Buffer.alloc(0);
        const smallDigest = await push(small);
        const emptyDigest = await push(empty);
        const path = `/v2/${repo}/blobs/${bigDigest}`;

        const full = await get(arca.url, path, { agent });
        assert.equal(full.status, 200);
        assert.equal(full.headers.get('content-length'), String(big.length));
        assert.equal(full.headers.get('content-type'), 'application/octet-stream');
        assert.equal(full.headers.get('docker-content-digest'), bigDigest);
        assert.equal(full.headers.get('etag'), `"${bigDigest}"`);
        assert.equal(full.headers.get('accept-ranges'), 'bytes');
        assert.equal(full.headers.get('docker-distribution-api-version'), 'registry/2.0');
        assert.ok(full.headers.get('x-request-id'));
        assert.equal(sha256(full.bytes), bigDigest);

        const ranges: [string, number, number][] = [
          ['bytes=0-0', 0, 0],
          ['bytes=1048570-3145740', 1048570, 3145740], // across buffer boundaries
          [`bytes=${big.length - 7}-`, big.length - 7, big.length - 1],
          ['bytes=-100', big.length - 100, big.length - 1],
          [`bytes=0-${big.length + 1000}`, 0, big.length - 1],
        ];
        for (const [header, start, end] of ranges) {
          const r = await get(arca.url, path, { agent, headers: { Range: header } });
          assert.equal(r.status, 206, header);
          assert.equal(r.headers.get('content-range'), `bytes ${start}-${end}/${big.length}`, header);
          assert.equal(r.headers.get('content-length'), String(end - start + 1), header);
          assert.ok(r.bytes.equals(big.subarray(start, end + 1)), header);
        }

        const head = await get(arca.url, path, { agent, method: 'HEAD' });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('content-length'), String(big.length));
        assert.equal(head.bytes.length, 0);

        const s = await get(arca.url, `/v2/${repo}/blobs/${smallDigest}`, { agent });
        assert.ok(s.bytes.equals(small));
        const e = await get(arca.url, `/v2/${repo}/blobs/${emptyDigest}`, { agent });
        assert.equal(e.status, 200);
        assert.equal(e.headers.get('content-length'), '0');
        assert.equal(e.bytes.length, 0);

        // Every reply above went through the onResponse hooks.
        const metrics = await (await fetch(`${arca.url}/metrics`)).text();
        const served = /arca_http_requests_total\{method="GET",route="blob",status="206"\} (\d+)/.exec(
          metrics,
        );
        assert.equal(Number(served?.[1]), ranges.length);
        assert.match(metrics, /arca_http_requests_total\{method="GET",route="blob",status="200"\} [3-9]/);
        assert.equal(openFiles(arca.pid).filter((f) => f.includes('/blobs/sha256/')).length, 0);
      } finally {
        agent.destroy();
      }
    });

    test('a missing file is a clean 404 before any header', async () => {
      const data = randomBytes(100_000);
      const digest = await push(data);
      rmSync(blobFile(digest));
      const res = await get(arca.url, `/v2/${repo}/blobs/${digest}`);
      assert.equal(res.status, 404);
      assert.equal(errorCode(res), 'BLOB_UNKNOWN');
    });

    test('a client that goes away mid-body leaves no descriptor open', async () => {
      const data = randomBytes(48 * MiB);
      const digest = await push(data);
      const file = blobFile(digest);
      const before = readdirSync(`/proc/${arca.pid}/fd`).length;
      const { port, hostname } = new URL(arca.url);
      const socket = connect(Number(port), hostname);
      let received = 0;
      await new Promise<void>((resolve, reject) => {
        socket.on('error', reject);
        socket.on('connect', () =>
          socket.write(`GET /v2/${repo}/blobs/${digest} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`),
        );
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MiB) {
            socket.pause();
            resolve();
          }
        });
      });
      // The server is still sending: its descriptor on the file is open.
      assert.ok(openFiles(arca.pid).includes(file), 'the blob is open during the transfer');
      socket.destroy();
      await eventually(() => !openFiles(arca.pid).includes(file), 'the blob file is still open', soon);
      await eventually(
        () => readdirSync(`/proc/${arca.pid}/fd`).length <= before,
        'more descriptors than before the request',
        soon,
      );
      // The server still serves.
      const again = await get(arca.url, `/v2/${repo}/blobs/${digest}`, { headers: { Range: 'bytes=0-99' } });
      assert.ok(again.bytes.equals(data.subarray(0, 100)));
    });

    test('a file shorter than its recorded size cuts the connection and is closed', async () => {
      const data = randomBytes(3 * MiB);
      const digest = await push(data);
      truncateSync(blobFile(digest), 1.5 * MiB);
      await assert.rejects(get(arca.url, `/v2/${repo}/blobs/${digest}`));
      await eventually(
        () => !openFiles(arca.pid).includes(blobFile(digest)),
        'the blob file is still open',
        soon,
      );
      // The log line is written asynchronously; it may reach the log after the connection closed.
      await eventually(
        () => /blob read failed after the headers were sent/.test(arca.logs()),
        'no log line for the failed read',
        soon,
      );
    });
  });
}
