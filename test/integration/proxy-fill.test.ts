import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { apiClient, basicAuth } from '../helpers/api-client.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { countingForwarder, type CountingForwarder } from '../helpers/counting-forwarder.js';
import type { Credentials } from '../helpers/htpasswd.js';
import { seededBytes } from '../helpers/images.js';
import { pushBlobInUpload as pushBlob } from '../helpers/oci-push.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';

const adminPassword = 'fill-admin-Pass-64';
const admin: Credentials = { user: 'admin', pass: adminPassword };
const upstreamUser: Credentials = { user: 'puller', pass: 'fill-upstream-Secret-1' };
const MiB = 1 << 20;
const bigSize = Number(process.env.ARCA_TEST_PROXY_BLOB_MIB ?? 256) * MiB;
const clients = 20;
const rssLimit = 250 * 1000 * 1000;

/** Peak resident set (VmHWM) and current (VmRSS) of a process, bytes. */
function memoryOf(pid: number): { hwm: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

/** GET a blob through Arca: the sha256 and length of what came, or the error that ended it. */
function pull(
  base: string,
  path: string,
  opts: { abortAfter?: number; holdUntil?: Promise<void> } = {},
): Promise<{ digest: string; bytes: number; error?: string }> {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    let bytes = 0;
    let settled = false;
    const done = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ digest: error ? '' : `sha256:${hash.digest('hex')}`, bytes, ...(error ? { error } : {}) });
    };
    const req = httpGet(`${base}/v2/${path}`, { headers: { Authorization: basicAuth(admin) } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return done(`HTTP ${res.statusCode}`);
      }
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
        // A client that stops reading after its first bytes holds the fill back (backpressure).
        if (opts.holdUntil && bytes === chunk.length) {
          res.pause();
          void opts.holdUntil.then(() => res.resume());
        }
        if (opts.abortAfter !== undefined && bytes >= opts.abortAfter) {
          done('left');
          req.destroy();
        }
      });
      res.on('end', () => done(bytes === Number(res.headers['content-length']) ? undefined : 'short body'));
      res.on('error', (err) => done(err.message));
      res.on('aborted', () => done('aborted'));
    });
    req.on('error', (err) => done(err.message));
    const timer = setTimeout(() => {
      done('timed out');
      req.destroy();
    }, 120_000);
  });
}

describe(
  'pull-through blob fills: one upstream GET, streamed, bounded, never half visible',
  { timeout: 170_000 },
  () => {
    let upstream: RunningRegistry2 | undefined;
    let fwd: CountingForwarder | undefined;
    let arca: RunningArca | undefined;
    const blobs: Record<string, string> = {};

    before(async () => {
      upstream = await startRegistry2({ htpasswd: upstreamUser });
      blobs.big = await pushBlob(upstream.url, 'lib/big', seededBytes('proxy-big', bigSize), upstreamUser);
      blobs.left = await pushBlob(upstream.url, 'lib/big', seededBytes('proxy-left', 24 * MiB), upstreamUser);
      blobs.cut = await pushBlob(upstream.url, 'lib/big', seededBytes('proxy-cut', 24 * MiB), upstreamUser);
      fwd = await countingForwarder(upstream.url);
      arca = await startArca({ auth: 'arca', env: { ARCA_ADMIN_PASSWORD: adminPassword } });
      const api = apiClient(arca.url, admin);
      await api.ok('PUT', '/api/v1/credentials/up', {
        type: 'REGISTRY',
        payload: { registry: fwd.url, username: upstreamUser.user, auth: upstreamUser.pass },
      });
      await api.ok('POST', '/api/v1/registries', { name: 'hub', proxy: { url: fwd.url, credential: 'up' } });
    });

    after(async () => {
      await Promise.all([
        arca?.stop().catch(() => undefined),
        upstream?.stop().catch(() => undefined),
        fwd?.close(),
      ]);
    });

    test(`${clients} concurrent pulls of one uncached ${bigSize / MiB} MiB blob: one upstream GET, right bytes, RSS bounded`, async () => {
      let peak = 0;
      const poll = setInterval(() => {
        try {
          peak = Math.max(peak, memoryOf(arca!.pid).rss);
        } catch {
          // exited: the test fails below
        }
      }, 50);
      const started = Date.now();
      let results;
      try {
        results = await Promise.all(
          Array.from({ length: clients }, () => pull(arca!.url, `hub/lib/big/blobs/${blobs.big}`)),
        );
      } finally {
        clearInterval(poll);
      }
      const seconds = (Date.now() - started) / 1000;
      for (const r of results) {
        assert.equal(r.error, undefined);
        assert.equal(r.bytes, bigSize);
        assert.equal(r.digest, blobs.big);
      }
      assert.equal(fwd!.count('GET', `/blobs/${blobs.big}`, 200), 1, 'one upstream GET');
      const { hwm } = memoryOf(arca!.pid);
      process.stdout.write(
        `# ${clients} x ${bigSize / MiB} MiB in ${seconds.toFixed(1)} s; Arca RSS peak ${(peak / 1e6).toFixed(0)} MB, VmHWM ${(hwm / 1e6).toFixed(0)} MB\n`,
      );
      assert.ok(peak < rssLimit, `RSS peaked at ${peak} bytes`);
      assert.ok(hwm < rssLimit, `VmHWM ${hwm} bytes`);
      // Cached now: another pull reads the store, the upstream is not asked.
      const again = await pull(arca!.url, `hub/lib/big/blobs/${blobs.big}`);
      assert.equal(again.digest, blobs.big);
      assert.equal(fwd!.count('GET', `/blobs/${blobs.big}`, 200), 1);
    });

    test('a client that leaves mid-way does not stop the fill for the others', async () => {
      const path = `hub/lib/big/blobs/${blobs.left}`;
      const [gone, ...stayed] = await Promise.all([
        pull(arca!.url, path, { abortAfter: 1 }),
        pull(arca!.url, path),
        pull(arca!.url, path),
      ]);
      assert.equal(gone!.error, 'left');
      for (const r of stayed) assert.equal(r.digest, blobs.left);
      assert.equal(fwd!.count('GET', `/blobs/${blobs.left}`, 200), 1);
    });

    test('an upstream that breaks off mid-blob leaves nothing visible; the next pull fills again', async () => {
      const path = `hub/lib/big/blobs/${blobs.cut}`;
      let release!: () => void;
      const holdUntil = new Promise<void>((r) => (release = r));
      const broken = pull(arca!.url, path, { holdUntil });
      // Cut once the upstream answered and the only client holds the fill back, mid-blob.
      const deadline = Date.now() + 30_000;
      while (fwd!.count('GET', `/blobs/${blobs.cut}`, 200) === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 300));
      fwd!.cut();
      release();
      const first = await broken;
      assert.notEqual(first.digest, blobs.cut, 'no client gets a whole blob from a broken fill');
      // Not cached: a HEAD through Arca asks the upstream; the GET fills again, with the right bytes.
      const heads = fwd!.count('HEAD', `/blobs/${blobs.cut}`);
      const head = await fetch(`${arca!.url}/v2/${path}`, {
        method: 'HEAD',
        headers: { Authorization: basicAuth(admin) },
      });
      assert.equal(head.status, 200);
      assert.equal(fwd!.count('HEAD', `/blobs/${blobs.cut}`), heads + 1);
      const second = await pull(arca!.url, path);
      assert.equal(second.digest, blobs.cut);
      assert.equal(fwd!.count('GET', `/blobs/${blobs.cut}`, 200), 2);
    });
  },
);
