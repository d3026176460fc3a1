import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { blobPath } from '../../src/oci/index.js';
import { ARCA_MAIN, startArca, type RunningArca } from '../helpers/arca.js';
import { apiClient } from '../helpers/api-client.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import { createTestDatabase, dialects } from '../helpers/dialects.js';
import { exec } from '../helpers/exec.js';
import { seededBytes, sha256 } from '../helpers/images.js';
import { pushImage } from '../helpers/oci-push.js';
import { serverEnv } from '../helpers/server.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait-for.js';

after(() => stopSharedCephRgw());

interface LocationStatus {
  location: string;
  role: string;
  blobs: number;
  bytes: number;
  pending_copies: number;
  lag_seconds: number;
  last_error: string | null;
}

async function replicationOf(arca: RunningArca, registry: string): Promise<LocationStatus[]> {
  const answer = await apiClient(arca.url).ok('GET', `/api/v1/registries/${registry}`);
  return (answer.body as { replication: LocationStatus[] }).replication;
}

/** Wait until no location of `registry` is owed a copy and each holds `blobs`; the time it took. */
async function replicated(arca: RunningArca, registry: string, blobs: number, timeoutMs = 30_000) {
  const started = Date.now();
  const seen = await waitFor(
    () => replicationOf(arca, registry),
    (s) => s.every((l) => l.pending_copies === 0 && l.blobs >= blobs),
    { timeoutMs, intervalMs: 50 },
  );
  assert.ok(
    seen.every((l) => l.pending_copies === 0 && l.blobs >= blobs),
    `replication incomplete: ${JSON.stringify(seen)}`,
  );
  return { ms: Date.now() - started, status: seen };
}

async function fsck(arca: RunningArca) {
  const result = await exec(
    process.execPath,
    [ARCA_MAIN, 'fsck', '--output', 'json', '--config', arca.configPath],
    {
      env: serverEnv(arca.storage === 's3' ? {} : extraEnv),
      cleanEnv: true,
    },
  );
  return {
    code: result.code,
    report: JSON.parse(result.stdout) as { problems: unknown[]; pendingCopies: unknown[] },
  };
}

let extraEnv: Record<string, string> = {};

/** The configured locations: `east` (primary), `west` (a directory), `cloud` and `cloud2` (buckets of one endpoint). */
async function locations(gw: CephRgw, dirs: { east: TempDir; west: TempDir }) {
  const [cloud, cloud2] = [bucketName('repl'), bucketName('repl')];
  await gw.createBucket(cloud);
  await gw.createBucket(cloud2);
  return {
    buckets: { cloud, cloud2 },
    config: {
      east: { storage: { filesystem: { rootdirectory: dirs.east.path } } },
      west: { storage: { filesystem: { rootdirectory: dirs.west.path } } },
      cloud: { storage: { s3: gw.storageConfig(cloud) } },
      cloud2: { storage: { s3: gw.storageConfig(cloud2) } },
    },
  };
}

for (const dialect of dialects()) {
  test(`replication: an image pushed to the primary reaches a directory and a bucket within seconds; reads prefer the server's location and never 404 while a copy exists; locations added are back-filled, removed ones dropped (${dialect})`, async (t) => {
    const gw = await sharedCephRgw();
    extraEnv = gw.serverEnv();
    const east = makeTempDir('arca-repl-east-');
    const west = makeTempDir('arca-repl-west-');
    const where = await locations(gw, { east, west });
    const config = {
      locations: where.config,
      jobs: { pollinterval: '100ms', lease: '3s', backoff: { base: '200ms', max: '1s' } },
      gc: { enabled: false },
    };
    // One data directory and database for the successive servers, released here.
    const data = makeTempDir('arca-repl-data-');
    const db = dialect === 'postgres' ? await createTestDatabase() : undefined;
    const databaseUrl = db?.url ?? `sqlite:${join(data.path, 'arca.db')}`;
    const start = (env: Record<string, string> = {}) =>
      startArca({
        dialect,
        config,
        dataDir: data.path,
        databaseUrl,
        env: { ...gw.serverEnv(), ...env },
        startTimeoutMs: 60_000,
      });
    let arca: RunningArca | undefined;
    let local: RunningArca | undefined;
    try {
      arca = await start();
      const api = apiClient(() => arca!.url);
      await api.ok('POST', '/api/v1/registries', {
        name: 'ml',
        primary_location: 'east',
        locations: ['west', 'cloud'],
      });

      // An image: config and three layers.
      const contents = [
        seededBytes('cfg', 300),
        ...[1, 2, 3].map((i) => seededBytes(`layer${i}`, 256 * 1024 + i)),
      ];
      const image = await pushImage(arca.url, 'ml/app', 'v1', contents);
      const { ms, status } = await replicated(arca, 'ml', contents.length);
      t.diagnostic(`replication lag of a 4-blob image to a directory and a bucket: ${ms} ms`);
      assert.ok(ms < 10_000, `copied within a few seconds (${ms} ms)`);
      assert.deepEqual(
        status.map((l) => [l.location, l.role, l.blobs, l.pending_copies, l.last_error]),
        [
          ['east', 'primary', 4, 0, null],
          ['west', 'additional', 4, 0, null],
          ['cloud', 'additional', 4, 0, null],
        ],
      );
      const bytes = contents.reduce((n, c) => n + c.length, 0);
      assert.ok(status.every((l) => l.bytes === bytes));
      for (const digest of image.blobs) {
        assert.ok(existsSync(join(west.path, blobPath(digest))), `${digest} in west`);
      }
      const objects = [...(await gw.objects(where.buckets.cloud)).keys()];
      for (const digest of image.blobs) {
        assert.ok(
          objects.some((k) => k.endsWith(blobPath(digest))),
          `${digest} in the bucket`,
        );
      }
      const clean = await fsck(arca);
      assert.equal(clean.code, 0, JSON.stringify(clean.report));
      assert.deepEqual(clean.report.pendingCopies, []);

      // The primary's copy gone behind the server's back: the blob is still served (from a copy),
      // and fsck names the genuine gap.
      const [victim] = image.blobs.slice(-1);
      rmSync(join(east.path, blobPath(victim!)));
      const fallback = await fetch(`${arca.url}/v2/ml/app/blobs/${victim}`);
      assert.equal(fallback.status, 200);
      assert.equal(sha256(Buffer.from(await fallback.arrayBuffer())), victim);
      const gap = await fsck(arca);
      assert.equal(gap.code, 2);
      assert.deepEqual(
        (gap.report.problems as { location: string; digest: string; problem: string }[]).map((p) => [
          p.location,
          p.digest,
          p.problem,
        ]),
        [['east', victim, 'missing from storage']],
      );

      // A server that runs in `west` (ARCA_LOCATION) reads from there: with every primary copy gone,
      // the whole image still pulls.
      await arca.stop();
      for (const digest of image.blobs) rmSync(join(east.path, blobPath(digest)), { force: true });
      local = await start({ ARCA_LOCATION: 'west' });
      for (const digest of image.blobs) {
        const res: Response = await fetch(`${local.url}/v2/ml/app/blobs/${digest}`);
        assert.equal(res.status, 200, digest);
        assert.equal(sha256(Buffer.from(await res.arrayBuffer())), digest);
      }
      const range = await fetch(`${local.url}/v2/ml/app/blobs/${image.blobs[1]}`, {
        headers: { range: 'bytes=10-19' },
      });
      assert.equal(range.status, 206);
      assert.deepEqual(Buffer.from(await range.arrayBuffer()), contents[1]!.subarray(10, 20));
      // An unknown blob is still a 404, a bad digest a 400.
      const unknown = await fetch(`${local.url}/v2/ml/app/blobs/${sha256('nothing')}`);
      assert.equal(unknown.status, 404);
      assert.equal((await fetch(`${local.url}/v2/ml/app/blobs/sha256:1234`)).status, 400);
      await local.stop();
      local = undefined;

      // A location added later is owed every blob already there; one removed is owed nothing more.
      arca = await start();
      await api.ok('POST', '/api/v1/registries', { name: 'late', primary_location: 'west' });
      const lateImage = await pushImage(arca.url, 'late/app', 'v1', [
        seededBytes('late-cfg', 100),
        seededBytes('late-l', 5000),
      ]);
      await api.ok('PATCH', '/api/v1/registries/late', { locations: ['cloud2'] });
      const filled = await replicated(arca, 'late', 2);
      t.diagnostic(`back-fill of 2 blobs to a bucket: ${filled.ms} ms`);
      assert.deepEqual(
        filled.status.map((l) => [l.location, l.blobs]),
        [
          ['west', 2],
          ['cloud2', 2],
        ],
      );
      // Both ends are buckets of one endpoint for the `s3` pair: the copy was made server-side.
      await api.ok('POST', '/api/v1/registries', {
        name: 'twin',
        primary_location: 'cloud',
        locations: ['cloud2'],
      });
      await pushImage(arca.url, 'twin/app', 'v1', [
        seededBytes('twin-cfg', 120),
        seededBytes('twin-l', 7000),
      ]);
      await replicated(arca, 'twin', 2);
      const metrics = await (await fetch(`${arca.url}/metrics`)).text();
      assert.match(
        metrics,
        /arca_storage_operations_total\{driver="s3",operation="copy_from",outcome="ok"\} [1-9]/,
      );

      // Removing the location drops what it was owed (nothing here), and later pushes owe it nothing.
      await api.ok('PATCH', '/api/v1/registries/late', { locations: [] });
      const later = await pushImage(arca.url, 'late/app', 'v2', [seededBytes('late-cfg2', 100)]);
      const remaining = await replicationOf(arca, 'late');
      assert.deepEqual(
        remaining.map((l) => l.location),
        ['west'],
      );
      const pending = await apiClient(arca.url).ok('GET', '/api/v1/jobs?kind=oci.replicate&state=queued');
      assert.deepEqual((pending.body as { items: unknown[] }).items, []);
      assert.ok(lateImage.blobs.length === 2 && later.blobs.length === 1);
      // Unknown locations are refused.
      const bad = await apiClient(arca.url).call('PATCH', '/api/v1/registries/late', {
        json: { locations: ['../etc'] },
      });
      assert.equal(bad.status, 400);
    } finally {
      await local?.stop();
      await arca?.stop();
      await gw.deleteBucket(where.buckets.cloud).catch(() => {});
      await gw.deleteBucket(where.buckets.cloud2).catch(() => {});
      await db?.drop().catch(() => {});
      await data.cleanup();
      await east.cleanup();
      await west.cleanup();
    }
  });
}
