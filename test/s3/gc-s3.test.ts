import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { blobPath } from '../../src/oci/index.js';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { openDatabase } from '../../src/db/index.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { apiClient } from '../helpers/api-client.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw } from '../helpers/ceph-rgw.js';
import { dialects } from '../helpers/dialects.js';
import { seededBytes, sha256 } from '../helpers/images.js';
import { pushImage } from '../helpers/oci-push.js';
import { makeTempDir } from '../helpers/tmp.js';
import { eventually, waitFor } from '../helpers/wait-for.js';

after(() => stopSharedCephRgw());

for (const dialect of dialects()) {
  test(`gc on S3: unreferenced blobs go from every location (two buckets and a directory), abandoned browser-upload staging objects and expired upload sessions too; live content stays; a location removed from the registry is released (${dialect})`, async () => {
    const gw = await sharedCephRgw();
    const other = bucketName('gc-b');
    await gw.createBucket(other);
    const disk = makeTempDir('arca-gc-disk-');
    let arca: RunningArca | undefined;
    try {
      arca = await startArca({
        dialect,
        storage: 's3',
        startTimeoutMs: 60_000,
        config: {
          storage: {
            delete: { enabled: true },
            maintenance: { uploadpurging: { enabled: true, age: '3s', interval: '1s', dryrun: false } },
          },
          gc: { graceperiod: '2s', interval: '1s' },
          jobs: { pollinterval: '100ms' },
          locations: {
            other: { storage: { s3: gw.storageConfig(other) } },
            disk: { storage: { filesystem: { rootdirectory: disk.path } } },
          },
        },
      });
      const primary = arca.config.storage as { s3: { bucket: string } };
      const mainBucket = primary.s3.bucket;
      const api = apiClient(arca.url);
      await api.ok('POST', '/api/v1/registries', {
        name: 'gcr',
        primary_location: 'default',
        locations: ['other', 'disk'],
      });
      const shared = seededBytes('shared-config', 200);
      const live = await pushImage(arca.url, 'gcr/app', 'v1', [shared, seededBytes('live', 40_000)]);
      const doomed = await pushImage(arca.url, 'gcr/app', 'v2', [shared, seededBytes('doomed', 50_000)]);
      const gone = doomed.blobs[1]!;
      const inBucket = async (bucket: string, digest: string) =>
        [...(await gw.objects(bucket)).keys()].some((k) => k.endsWith(blobPath(digest)));
      const everywhere = async (digest: string) =>
        (await inBucket(mainBucket, digest)) &&
        (await inBucket(other, digest)) &&
        existsSync(join(disk.path, blobPath(digest)));
      await eventually(async () => everywhere(gone), 'replicated to every location', { timeoutMs: 30_000 });

      // An abandoned browser upload's staging object, and an upload session left half-way.
      const anyKey = [...(await gw.objects(mainBucket)).keys()].find((k) => k.endsWith(blobPath(gone)))!;
      const root = anyKey.slice(0, anyKey.length - blobPath(gone).length);
      const staging = `${root}browser-uploads/abandoned-0001`;
      await gw
        .client()
        .send(new PutObjectCommand({ Bucket: mainBucket, Key: staging, Body: Buffer.alloc(1000, 1) }));
      const session = await fetch(`${arca.url}/v2/gcr/app/blobs/uploads/`, { method: 'POST' });
      assert.equal(session.status, 202);
      const location = new URL(session.headers.get('location')!, arca.url);
      const id = location.pathname.split('/').pop()!;
      const patch = await fetch(location, {
        method: 'PATCH',
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9999' },
        body: new Uint8Array(10_000),
      });
      assert.equal(patch.status, 202);
      assert.ok(
        [...(await gw.objects(mainBucket)).keys()].some((k) => k.includes(id)),
        'the session has bytes in the bucket',
      );

      // The manifest deleted: its own layer goes from every location after the grace period.
      const del = await fetch(`${arca.url}/v2/gcr/app/manifests/${doomed.manifest}`, { method: 'DELETE' });
      assert.equal(del.status, 202);
      const anywhere = async (digest: string) =>
        (await inBucket(mainBucket, digest)) ||
        (await inBucket(other, digest)) ||
        existsSync(join(disk.path, blobPath(digest)));
      const left = await waitFor(
        () => anywhere(gone),
        (present) => !present,
        { timeoutMs: 45_000, intervalMs: 500 },
      );
      assert.equal(left, false, 'the unreferenced layer is gone from both buckets and the directory');
      for (const digest of live.blobs)
        assert.ok(await everywhere(digest), `${digest} (live) stays everywhere`);
      const pulled = await fetch(`${arca.url}/v2/gcr/app/blobs/${live.blobs[1]}`);
      assert.equal(sha256(Buffer.from(await pulled.arrayBuffer())), live.blobs[1]);

      // The expired session is purged: its bytes and its record.
      await eventually(
        async () => ![...(await gw.objects(mainBucket)).keys()].some((k) => k.includes(id)),
        'the expired upload session purged from the bucket',
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      assert.equal((await fetch(location)).status, 404);

      // The staging object: noted by a GC run, gone once it is older than the grace period and the
      // presigned URL's lifetime (15 minutes, which the test moves into the past).
      const meta = await openDatabase(arca.databaseUrl);
      try {
        await eventually(
          async () =>
            (
              await meta.db
                .selectFrom('gc_staging_seen')
                .select('path')
                .where('location', '=', 'default')
                .execute()
            ).length > 0,
          'GC noted the staging object',
          { timeoutMs: 30_000, intervalMs: 200 },
        );
        assert.ok((await gw.objects(mainBucket)).has(staging), 'not deleted before its time');
        await meta.db
          .updateTable('gc_staging_seen')
          .set({ first_seen: Date.now() - 3_600_000 })
          .where('location', '=', 'default')
          .execute();
      } finally {
        await meta.close();
      }
      await eventually(
        async () => !(await gw.objects(mainBucket)).has(staging),
        'the staging object deleted',
        {
          timeoutMs: 30_000,
          intervalMs: 500,
        },
      );

      // A location removed from the registry: its copies are released by GC, the others stay.
      await api.ok('PATCH', '/api/v1/registries/gcr', { locations: ['other'] });
      await eventually(
        () => live.blobs.every((d) => !existsSync(join(disk.path, blobPath(d)))),
        "the removed location's copies released",
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      for (const digest of live.blobs) {
        assert.ok((await inBucket(mainBucket, digest)) && (await inBucket(other, digest)), `${digest} stays`);
      }
    } finally {
      await arca?.stop();
      await gw.deleteBucket(other).catch(() => {});
      await disk.cleanup();
    }
  });
}
