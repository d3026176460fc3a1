/**
 * `arca import registry2 --config <registry2.yml>` whose storage is `s3`: registry:2 (CNCF 2.8)
 * stores in a bucket of the test's Ceph RGW, gets a multi-architecture index and a plain image
 * pushed with skopeo, and is stopped; the built CLI reads the bucket through the s3 driver into an
 * Arca on the filesystem, which then serves the same bytes. The bucket is never written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startArca } from '../helpers/arca.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import type { ExecResult } from '../helpers/exec.js';
import { buildImage, buildMultiPlatform, layoutBlobs } from '../helpers/images.js';
import {
  runImport as runImportOf,
  summaryOf as summaryOfImport,
  type ImportSummary,
} from '../helpers/import-registry2.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { waitForExit } from '../helpers/server.js';
import { dockerRef, rawManifests, skopeoCopy, skopeoInspectRaw } from '../helpers/skopeo.js';
import { makeTempDir } from '../helpers/tmp.js';

let gw: CephRgw;
const work = makeTempDir('import-r2-s3-');

before(async () => {
  gw = await sharedCephRgw();
});

after(async () => {
  await work.cleanup();
  await stopSharedCephRgw();
});

/** The CLI in its own process, trusting the gateway's CA as a server would. */
const runImport = (args: string[]): Promise<ExecResult> =>
  runImportOf([...args, '-o', 'json'], { env: gw.serverEnv() });

function summaryOf(result: ExecResult): ImportSummary {
  assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
  return summaryOfImport(result);
}

describe('arca import registry2 from S3', () => {
  let r2: RunningRegistry2;
  let bucket: string;
  let before_: Map<string, string>;
  const raw = new Map<string, Buffer>();
  let registryBlobs: string[];

  before(async () => {
    const layout = join(work.path, 'layout');
    await buildMultiPlatform(layout, 's3-import', [16 * 1024, 200 * 1024]);
    // One layer above the 5 MiB chunk size, so registry:2 wrote it as a multipart upload.
    await buildImage(layout, 'plain', { layers: 2, seed: 's3-import-plain', sizes: [8 << 20, 4096] });

    bucket = bucketName('r2src');
    await gw.createBucket(bucket);
    r2 = await startRegistry2({
      s3: { gw, bucket, extra: { rootdirectory: '/registry', chunksize: 5 * 1024 * 1024 } },
    });
    await skopeoCopy(`oci:${layout}:multi`, dockerRef(r2.host, 'team/multi', 'v1'), { all: true });
    await skopeoCopy(`oci:${layout}:plain`, dockerRef(r2.host, 'team/plain', 'v1'));
    await skopeoCopy(`oci:${layout}:plain`, dockerRef(r2.host, 'plain', 'latest'));
    const served = await rawManifests(r2.host, [
      ['team/multi', 'v1'],
      ['team/plain', 'v1'],
      ['plain', 'latest'],
    ]);
    for (const [key, bytes] of served) raw.set(key, bytes);
    const pulled = join(work.path, 'from-registry2');
    await skopeoCopy(dockerRef(r2.host, 'team/multi', 'v1'), `oci:${pulled}:multi`, { all: true });
    await skopeoCopy(dockerRef(r2.host, 'team/plain', 'v1'), `oci:${pulled}:plain`);
    registryBlobs = await layoutBlobs(pulled);
    r2.process.kill('SIGTERM');
    await waitForExit(r2.process);
    before_ = await gw.objects(bucket);
    assert.ok(
      [...before_.keys()].every((k) => k.startsWith('registry/docker/registry/v2/')),
      'registry:2 wrote under its rootdirectory',
    );
  });

  after(async () => {
    await r2?.stop();
    await gw.deleteBucket(bucket).catch(() => {});
  });

  test('imports the bucket into Arca on the filesystem; Arca serves the same digests; a re-run adds nothing', async () => {
    const dest = makeTempDir('import-r2-s3-dest-');
    try {
      const arcaConfig = join(dest.path, 'arca.yml');
      await writeFile(
        arcaConfig,
        stringify({
          version: 0.1,
          log: { level: 'warn' },
          datadir: dest.path,
          storage: { filesystem: { rootdirectory: join(dest.path, 'storage') } },
        }),
      );
      const first = summaryOf(await runImport(['--config', r2.configPath, '--arca-config', arcaConfig]));
      assert.deepEqual(first.errors, []);
      assert.match(first.source, new RegExp(`^s3://${bucket}/registry \\(${gw.endpoint}\\)$`));
      assert.deepEqual(first.repositories, { total: 3, new: 3, failed: 0 });
      assert.equal(first.tags.new, 3);
      // The index and its two children, the plain image (in two repositories).
      assert.equal(first.manifests.new, 5);
      // 12 links, 9 distinct blobs: the plain image's are copied once and linked into both repositories.
      assert.equal(first.blobs.new, 12);
      assert.equal(first.blobs.copied, 9);
      assert.equal(first.bytes.copied, first.bytes.source);

      const arca = await startArca({
        dataDir: dest.path,
        databaseUrl: `sqlite:${join(dest.path, 'arca.db')}`,
      });
      try {
        for (const [key, bytes] of raw) {
          const [repo, reference] = key.includes('@') ? key.split('@') : key.split(':');
          const served = await skopeoInspectRaw(dockerRef(arca.host, repo!, reference!));
          assert.ok(served.equals(bytes), `${key}: Arca serves other bytes than registry:2 did`);
        }
        const pulled = join(work.path, 'from-arca');
        await skopeoCopy(dockerRef(arca.host, 'team/multi', 'v1'), `oci:${pulled}:multi`, { all: true });
        await skopeoCopy(dockerRef(arca.host, 'team/plain', 'v1'), `oci:${pulled}:plain`);
        assert.deepEqual(await layoutBlobs(pulled), registryBlobs);

        // Again while Arca serves: everything is there already.
        const again = summaryOf(await runImport(['--config', r2.configPath, '--arca-config', arcaConfig]));
        assert.deepEqual(again.errors, []);
        assert.equal(again.repositories.new + again.tags.new + again.manifests.new + again.blobs.new, 0);
        assert.equal(again.bytes.copied, 0);
      } finally {
        await arca.stop({ keep: true });
      }
    } finally {
      await dest.cleanup();
    }
  });

  test('refuses an Arca storing in the source bucket, and names a source it cannot read', async () => {
    const scratch = makeTempDir('import-r2-s3-refuse-');
    try {
      const inside = join(scratch.path, 'inside.yml');
      await writeFile(
        inside,
        stringify({
          datadir: scratch.path,
          storage: { s3: gw.storageConfig(bucket, { rootdirectory: '/registry/arca' }) },
        }),
      );
      const overlap = await runImport(['--config', r2.configPath, '--arca-config', inside]);
      assert.equal(overlap.code, 1, overlap.stderr);
      assert.match(overlap.stderr, /and the source overlap/);

      const wrong = join(scratch.path, 'wrong-secret.yml');
      const config = (await readFile(r2.configPath, 'utf8')).replace(gw.secretKey, 'not-the-secret');
      await writeFile(wrong, config);
      const elsewhere = join(scratch.path, 'elsewhere.yml');
      await writeFile(
        elsewhere,
        stringify({
          datadir: scratch.path,
          storage: { filesystem: { rootdirectory: join(scratch.path, 's') } },
        }),
      );
      const refused = await runImport(['--config', wrong, '--arca-config', elsewhere]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        /source s3:\/\/.* is not usable: credentials refused .*SignatureDoesNotMatch/,
      );
    } finally {
      await scratch.cleanup();
    }
  });

  test('the source bucket is unchanged: the same keys with the same ETags', async () => {
    assert.deepEqual(await gw.objects(bucket), before_);
  });
});
