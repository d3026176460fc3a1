import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import {
  Distribution,
  GarbageCollector,
  blobPath,
  fsck,
  mediaTypes,
  type StoreRouter,
} from '../../src/oci/index.js';
import { FilesystemDriver } from '../../src/storage/index.js';
import type { MetadataDb } from '../../src/db/index.js';
import { freshDatabase } from '../helpers/catalog-db.js';
import { dialects } from '../helpers/dialects.js';
import { singleStore } from '../helpers/single-store.js';
import { withTempDir } from '../helpers/tmp.js';
import { imageManifest, indexManifest, pushBlob, pushImage } from '../helpers/gc-fixtures.js';

const grace = 10_000;
/** A run as if the grace period had passed for everything queued until now. */
const later = () => ({ now: Date.now() + grace + 1_000 });

async function withGc(
  dialect: 'sqlite' | 'postgres',
  fn: (ctx: {
    oci: Distribution;
    gc: GarbageCollector;
    meta: MetadataDb;
    stores: StoreRouter;
    path: (d: string) => string;
    stored: (d: string) => boolean;
  }) => Promise<void>,
) {
  await withTempDir(async (root) => {
    const { meta, drop } = await freshDatabase(dialect);
    try {
      const stores = singleStore(new FilesystemDriver(root));
      const oci = new Distribution(meta, stores);
      const gc = new GarbageCollector(meta, stores, { gracePeriodMs: grace });
      const path = (d: string) => join(root, blobPath(d));
      await fn({ oci, gc, meta, stores, path, stored: (d) => existsSync(path(d)) });
    } finally {
      await drop();
    }
  });
}

const rows = async (meta: MetadataDb, table: 'blobs' | 'manifests' | 'repository_blobs' | 'blob_locations') =>
  Number(
    (await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(meta.db)).rows[0]!.n,
  );

for (const dialect of dialects()) {
  test(`gc: tagged content stays; untagged content goes after the grace period, bytes and rows; a dry run deletes nothing (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, gc, meta, stores, stored }) => {
      const kept = await pushImage(oci, 'app', 'v1', ['cfg-1', 'shared layer', 'layer of v1']);
      const gone = await pushImage(oci, 'app', 'v2', ['cfg-2', 'shared layer', 'layer of v2']);
      await oci.manifests.delete('app', 'v2');

      assert.deepEqual((await gc.run()).manifests, [], 'nothing is due within the grace period');
      const dry = await gc.run({ ...later(), dryRun: true });
      assert.deepEqual(dry.manifests, [{ repository: 'app', digest: gone.digest }]);
      assert.equal(await rows(meta, 'manifests'), 2, 'a dry run deletes nothing');

      const report = await gc.run(later());
      assert.deepEqual(report.manifests, [{ repository: 'app', digest: gone.digest }]);
      const released = report.blobs.map((b) => b.digest).sort();
      assert.deepEqual(released, [gone.blobs[0]!.digest, gone.blobs[2]!.digest].sort());
      assert.equal(report.bytes, gone.blobs[0]!.size + gone.blobs[2]!.size);
      for (const b of gone.blobs) assert.equal(stored(b.digest), b.digest === gone.blobs[1]!.digest);
      for (const b of kept.blobs) assert.equal(stored(b.digest), true);
      await assert.rejects(oci.blobs.stat('app', gone.blobs[2]!.digest), /BLOB_UNKNOWN|blob unknown/i);
      assert.equal((await oci.manifests.get('app', 'v1')).digest, kept.digest);
      assert.deepEqual((await fsck(meta, stores)).problems, []);
      // Idempotent: a second run finds nothing.
      const again = await gc.run(later());
      assert.equal(again.manifests.length + again.blobs.length, 0);
    });
  });

  test(`gc: a blob pushed again during the grace period is kept for another grace period (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, gc, stored }) => {
      const image = await pushImage(oci, 'app', 'v1', ['cfg', 'layer']);
      const t0 = Date.now();
      await oci.manifests.delete('app', 'v1');
      await sleep(100);
      await pushBlob(oci, 'app', 'layer'); // the re-reference: a push of the same blob
      const report = await gc.run({ now: t0 + grace + 50 });
      assert.deepEqual(
        report.manifests.map((m) => m.digest),
        [image.digest],
      );
      assert.deepEqual(
        report.blobs.map((b) => b.digest),
        [image.blobs[0]!.digest],
        'only the config goes',
      );
      assert.equal(stored(image.blobs[1]!.digest), true);
      // Once its own grace period is over with nothing referencing it, it goes too.
      const after = await gc.run(later());
      assert.deepEqual(
        after.blobs.map((b) => b.digest),
        [image.blobs[1]!.digest],
      );
      assert.equal(stored(image.blobs[1]!.digest), false);
    });
  });

  test(`gc: a moved tag's old manifest goes, what the new one shares stays (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, gc, stored }) => {
      const old = await pushImage(oci, 'app', 'latest', ['cfg-old', 'base', 'old top']);
      const now = await pushImage(oci, 'app', 'latest', ['cfg-new', 'base', 'new top']);
      const report = await gc.run(later());
      assert.deepEqual(
        report.manifests.map((m) => m.digest),
        [old.digest],
      );
      assert.equal(stored(old.blobs[1]!.digest), true, 'the shared base layer stays');
      assert.equal(stored(old.blobs[2]!.digest), false);
      assert.equal((await oci.manifests.get('app', 'latest')).digest, now.digest);
    });
  });

  test(`gc: an index keeps its children; when it goes they go, in one run (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, gc, meta, stored }) => {
      const amd = await pushImage(oci, 'multi', null, ['cfg-amd', 'amd layer']);
      const arm = await pushImage(oci, 'multi', null, ['cfg-arm', 'arm layer']);
      const index = indexManifest([amd, arm]);
      await oci.manifests.put('multi', 'v1', index, mediaTypes.ociIndex);
      assert.deepEqual((await gc.run(later())).manifests, [], 'untagged children of a tagged index stay');
      await oci.manifests.delete('multi', 'v1');
      const report = await gc.run(later());
      assert.equal(report.manifests.length, 3);
      assert.equal(await rows(meta, 'manifests'), 0);
      for (const b of [...amd.blobs, ...arm.blobs]) assert.equal(stored(b.digest), false);
    });
  });

  test(`gc: a referrer stays while its subject lives and goes with it (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, gc, meta }) => {
      const subject = await pushImage(oci, 'signed', 'v1', ['cfg-s', 'layer-s']);
      const sig = await pushImage(oci, 'signed', null, ['sig-cfg', 'signature'], subject);
      assert.deepEqual((await gc.run(later())).manifests, []);
      await oci.manifests.delete('signed', subject.digest);
      const report = await gc.run(later());
      assert.deepEqual(
        report.manifests.map((m) => m.digest),
        [sig.digest],
      );
      assert.equal(await rows(meta, 'blobs'), 0);
    });
  });

  test(`gc: a layer pushed with no manifest goes after the grace period, not before (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, gc, stored }) => {
      const blob = await pushBlob(oci, 'app', 'never referenced');
      assert.deepEqual((await gc.run()).blobs, []);
      assert.equal(stored(blob.digest), true);
      assert.deepEqual(
        (await gc.run(later())).blobs.map((b) => b.digest),
        [blob.digest],
      );
      assert.equal(stored(blob.digest), false);
    });
  });

  test(`gc: deleted repositories' bytes go, a blob another repository references stays (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, gc, stored }) => {
      const a = await pushImage(oci, 'reg/a', 'v1', ['cfg-a', 'common', 'only a']);
      await pushImage(oci, 'other', 'v1', ['cfg-o', 'common']);
      await oci.deleteRepositories(['reg/a']);
      const report = await gc.run(later());
      assert.deepEqual(
        report.blobs.map((b) => b.digest).sort(),
        [a.blobs[0]!.digest, a.blobs[2]!.digest].sort(),
      );
      assert.equal(stored(a.blobs[1]!.digest), true);
    });
  });

  test(`gc race: a manifest put while its blob is deleted fails cleanly, nothing dangles (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, meta }) => {
      const cfg = await pushBlob(oci, 'app', 'cfg');
      const layer = await pushBlob(oci, 'app', 'layer');
      const body = imageManifest([cfg, layer]);
      // A GC review holding the blob's row: the put checks its references, then waits for the lock.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const review = meta.db.transaction().execute(async (tx) => {
        let q = tx.selectFrom('blobs').select('digest').where('digest', '=', layer.digest);
        if (dialect === 'postgres') q = q.forUpdate();
        await q.execute();
        await held;
        await tx.deleteFrom('repository_blobs').where('digest', '=', layer.digest).execute();
        await tx.deleteFrom('blob_locations').where('digest', '=', layer.digest).execute();
        await tx.deleteFrom('blobs').where('digest', '=', layer.digest).execute();
      });
      const put = oci.manifests.put('app', 'v1', body, mediaTypes.ociManifest);
      await sleep(300);
      release();
      await review;
      await assert.rejects(put, (err: Error & { code?: string }) => err.code === 'MANIFEST_BLOB_UNKNOWN');
      assert.equal(await rows(meta, 'manifests'), 0, 'the refused put wrote nothing');
      await assert.rejects(oci.manifests.get('app', 'v1'));
    });
  });

  test(`gc race: an upload of a blob being deleted stores its bytes again and links them (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, meta, stores, path, stored }) => {
      const blob = await pushBlob(oci, 'app', 'the same bytes');
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const review = meta.db.transaction().execute(async (tx) => {
        let q = tx.selectFrom('blobs').select('digest').where('digest', '=', blob.digest);
        if (dialect === 'postgres') q = q.forUpdate();
        await q.execute();
        await held;
        // GC's order: bytes deleted under the lock, then the rows.
        rmSync(path(blob.digest), { force: true });
        await tx.deleteFrom('repository_blobs').where('digest', '=', blob.digest).execute();
        await tx.deleteFrom('blob_locations').where('digest', '=', blob.digest).execute();
        await tx.deleteFrom('blobs').where('digest', '=', blob.digest).execute();
      });
      const upload = pushBlob(oci, 'app', 'the same bytes'); // sees the bytes stored, then waits
      await sleep(300);
      release();
      await review;
      await upload;
      assert.equal(stored(blob.digest), true, 'the upload stored its bytes again');
      assert.equal(await oci.blobs.stat('app', blob.digest), blob.size);
      assert.deepEqual((await fsck(meta, stores)).problems, []);
    });
  });

  test(`gc race: a mount of a blob GC deleted is refused (the client uploads instead) (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, gc }) => {
      const blob = await pushBlob(oci, 'from', 'mounted');
      await gc.run(later());
      assert.equal(await oci.blobs.mount('to', blob.digest, 'from'), false);
      await assert.rejects(oci.blobs.stat('to', blob.digest));
    });
  });

  test(`fsck: a manifest's blob missing from storage is reported (${dialect})`, async () => {
    await withGc(dialect, async ({ oci, meta, stores, path }) => {
      const image = await pushImage(oci, 'app', 'v1', ['cfg', 'layer']);
      rmSync(path(image.blobs[1]!.digest));
      const report = await fsck(meta, stores);
      assert.deepEqual(
        report.problems.map((p) => [p.repository, p.digest, p.problem]),
        [['app', image.blobs[1]!.digest, 'missing from storage']],
      );
    });
  });
}
