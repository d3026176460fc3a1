/**
 * `arca import registry2 --config <registry2.yml>` whose storage is `s3`: registry:2 (CNCF 2.8)
 * stores in a bucket of the test's Ceph RGW, gets a multi-architecture index and a plain image
 * pushed with skopeo, and is stopped; the built CLI reads the bucket through the s3 driver into an
 * Arca on the filesystem, which then serves the same bytes. The bucket is never written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ARCA_MAIN, REPO_ROOT, startArca } from '../helpers/arca.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import { exec, type ExecResult } from '../helpers/exec.js';
import { buildImage, buildIndex, sha256 } from '../helpers/images.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { serverEnv, waitForExit } from '../helpers/server.js';
import { dockerRef, skopeoCopy, skopeoInspectRaw } from '../helpers/skopeo.js';
import { makeTempDir } from '../helpers/tmp.js';

interface ImportSummary {
  source: string;
  repositories: { total: number; new: number; failed: number };
  tags: { new: number; skipped: number };
  manifests: { new: number; skipped: number };
  blobs: { new: number; skipped: number; copied: number };
  bytes: { copied: number; source: number };
  errors: unknown[];
}

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
function runImport(args: string[]): Promise<ExecResult> {
  return exec(process.execPath, [ARCA_MAIN, 'import', 'registry2', ...args, '-o', 'json'], {
    cwd: REPO_ROOT,
    cleanEnv: true,
    env: serverEnv(gw.serverEnv()),
    timeoutMs: 120_000,
  });
}

function summaryOf(result: ExecResult): ImportSummary {
  assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
  return JSON.parse(result.stdout) as ImportSummary;
}

/** Blob digests of an OCI layout, each checked against its bytes. */
async function layoutBlobs(layout: string): Promise<string[]> {
  const dir = join(layout, 'blobs', 'sha256');
  const digests: string[] = [];
  for (const hex of await readdir(dir)) {
    assert.equal(sha256(await readFile(join(dir, hex))), `sha256:${hex}`);
    digests.push(`sha256:${hex}`);
  }
  return digests.sort();
}

describe('arca import registry2 from S3', () => {
  let r2: RunningRegistry2;
  let bucket: string;
  let before_: Map<string, string>;
  const raw = new Map<string, Buffer>();
  let registryBlobs: string[];

  before(async () => {
    const layout = join(work.path, 'layout');
    await buildImage(layout, 'amd64', { layers: 2, seed: 's3-import-amd64', sizes: [16 * 1024, 200 * 1024] });
    await buildImage(layout, 'arm64', {
      layers: 2,
      seed: 's3-import-arm64',
      architecture: 'arm64',
      sizes: [16 * 1024, 200 * 1024],
    });
    await buildIndex(layout, 'multi', ['amd64', 'arm64']);
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
    for (const [repo, tag] of [
      ['team/multi', 'v1'],
      ['team/plain', 'v1'],
      ['plain', 'latest'],
    ] as const) {
      const bytes = await skopeoInspectRaw(dockerRef(r2.host, repo, tag));
      raw.set(`${repo}:${tag}`, bytes);
      const index = JSON.parse(bytes.toString('utf8')) as { manifests?: { digest: string }[] };
      for (const child of index.manifests ?? []) {
        raw.set(`${repo}@${child.digest}`, await skopeoInspectRaw(dockerRef(r2.host, repo, child.digest)));
      }
    }
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
