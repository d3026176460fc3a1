import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ARCA_MAIN, REPO_ROOT, rssOf, startArca } from '../helpers/arca.js';
import { runImport, summaryOf, type ImportSummary } from '../helpers/import-registry2.js';
import { createTestDatabase, dialects, type Dialect, type TestDatabase } from '../helpers/dialects.js';
import {
  OCI_MANIFEST,
  blobPath,
  buildImage,
  buildMultiPlatform,
  layoutBlobs,
  layoutDescriptor,
  seededBytes,
  sha256,
} from '../helpers/images.js';
import { pushBlobInUpload, pushChunkedBlob, putManifest } from '../helpers/oci-push.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { freePort } from '../helpers/ports.js';
import { serverEnv, trackChild, waitForExit } from '../helpers/server.js';
import { dockerRef, rawManifests, skopeoCopy, skopeoInspectRaw } from '../helpers/skopeo.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

/**
 * `arca import registry2` against real registry:2 trees: content pushed with skopeo (a two-platform
 * index, a plain image with two tags, an OCI artifact whose subject is that image) and a larger
 * tree pushed over HTTP, imported by the built CLI in its own process, then pulled back from Arca.
 */

const SIG_TYPE = 'application/vnd.example.signature';

function newCount(s: ImportSummary): number {
  return s.repositories.new + s.tags.new + s.manifests.new + s.blobs.new;
}

/** Every file and directory of a tree with its content hash, size, mode and mtime. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string) => {
    const full = join(root, rel);
    const st = await lstat(full);
    const meta = `${st.mode.toString(8)} ${st.size} ${st.mtimeMs}`;
    if (st.isDirectory()) {
      out.set(`${rel}/`, meta);
      for (const name of (await readdir(full)).sort()) await walk(join(rel, name));
    } else {
      out.set(
        rel,
        `${meta} ${createHash('sha256')
          .update(await readFile(full))
          .digest('hex')}`,
      );
    }
  };
  await walk('');
  return out;
}

/** Adds to the layout an OCI artifact (empty config, one layer) whose subject is `subjectTag`, tagged `tag`. */
async function addArtifact(layout: string, tag: string, subjectTag: string): Promise<string> {
  const subject = await layoutDescriptor(layout, subjectTag);
  const put = async (bytes: Buffer) => {
    await writeFile(blobPath(layout, sha256(bytes)), bytes);
    return { digest: sha256(bytes), size: bytes.length };
  };
  const config = await put(Buffer.from('{}'));
  const layer = await put(Buffer.from('a detached signature, for the test\n'));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: SIG_TYPE,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.example.signature.v1', ...layer }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    }),
  );
  const desc = await put(manifest);
  const indexPath = join(layout, 'index.json');
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: object[] };
  index.manifests.push({
    mediaType: OCI_MANIFEST,
    ...desc,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  await writeFile(indexPath, JSON.stringify(index));
  return desc.digest;
}

/** Stop registry:2 but keep its storage tree (its `stop()` also removes the directory). */
async function stopKeepingTree(r2: RunningRegistry2): Promise<void> {
  r2.process.kill('SIGTERM');
  await waitForExit(r2.process);
}

/** An Arca data directory and database to import into, and the config file naming them. */
interface Destination {
  dir: TempDir;
  configPath: string;
  storage: string;
  databaseUrl: string;
  db?: TestDatabase;
  cleanup(): Promise<void>;
}

async function destination(dialect: Dialect): Promise<Destination> {
  const dir = makeTempDir('arca-import-');
  const db = dialect === 'postgres' ? await createTestDatabase() : undefined;
  const databaseUrl = db?.url ?? `sqlite:${join(dir.path, 'arca.db')}`;
  const storage = join(dir.path, 'storage');
  const configPath = join(dir.path, 'arca-import.yml');
  await writeFile(
    configPath,
    stringify({
      version: 0.1,
      log: { level: 'warn' },
      datadir: dir.path,
      storage: { filesystem: { rootdirectory: storage } },
      database: { url: databaseUrl },
    }),
  );
  return {
    dir,
    configPath,
    storage,
    databaseUrl,
    db,
    cleanup: async () => {
      await db?.drop();
      await dir.cleanup();
    },
  };
}

describe('arca import registry2', () => {
  const work = makeTempDir('import-r2-images-');
  let r2: RunningRegistry2;
  let bulk: RunningRegistry2;
  let sourceRoot: string;
  let bulkRoot: string;
  let before_: Map<string, string>;
  let bulkBefore: Map<string, string>;
  /** Raw manifests as registry:2 served them, by `repo@reference`. */
  const raw = new Map<string, Buffer>();
  let registryBlobs: string[] = [];
  let artifactDigest = '';
  let plainDigest = '';
  /** The larger tree: repository → its tag's manifest digest and blob digests. */
  const bulkContent = new Map<string, { manifest: string; blobs: string[] }>();

  before(async () => {
    const layout = join(work.path, 'layout');
    await buildMultiPlatform(layout, 'import', [32 * 1024, 300 * 1024]);
    plainDigest = (await buildImage(layout, 'plain', { layers: 3, seed: 'import-plain' })).digest;
    artifactDigest = await addArtifact(layout, 'sig', 'plain');

    r2 = await startRegistry2();
    sourceRoot = join(r2.dataDir, 'storage');
    await skopeoCopy(`oci:${layout}:multi`, dockerRef(r2.host, 'team/apps/multi', 'v1'), { all: true });
    await skopeoCopy(`oci:${layout}:plain`, dockerRef(r2.host, 'team/plain', 'v1'));
    await skopeoCopy(`oci:${layout}:plain`, dockerRef(r2.host, 'team/plain', 'latest'));
    await skopeoCopy(`oci:${layout}:sig`, dockerRef(r2.host, 'team/plain', 'sig'), { preserveDigests: true });

    const served = await rawManifests(r2.host, [
      ['team/apps/multi', 'v1'],
      ['team/plain', 'v1'],
      ['team/plain', 'latest'],
      ['team/plain', 'sig'],
    ]);
    for (const [key, bytes] of served) raw.set(key, bytes);
    assert.equal(
      sha256(raw.get('team/plain:sig')!),
      artifactDigest,
      'registry:2 kept the artifact as pushed',
    );
    const pulled = join(work.path, 'from-registry2');
    await skopeoCopy(dockerRef(r2.host, 'team/apps/multi', 'v1'), `oci:${pulled}:multi`, { all: true });
    await skopeoCopy(dockerRef(r2.host, 'team/plain', 'v1'), `oci:${pulled}:plain`);
    registryBlobs = await layoutBlobs(pulled);
    await stopKeepingTree(r2);
    before_ = await snapshot(sourceRoot);

    // The larger tree: 8 repositories of 3 incompressible 6 MiB layers each.
    bulk = await startRegistry2();
    bulkRoot = join(bulk.dataDir, 'storage');
    for (let r = 0; r < 8; r++) {
      const repo = `bulk/r${r}`;
      const layers = [];
      for (let l = 0; l < 3; l++) {
        const bytes = seededBytes(`bulk/${r}/${l}`, 6 << 20);
        layers.push({
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: await pushBlobInUpload(bulk.url, repo, bytes),
          size: bytes.length,
        });
      }
      const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', n: r }));
      const config = {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: await pushBlobInUpload(bulk.url, repo, configBytes),
        size: configBytes.length,
      };
      const manifest = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers }),
      );
      const put = await putManifest(bulk.url, repo, 'v1', manifest);
      assert.equal(put.status, 201, put.text);
      bulkContent.set(repo, {
        manifest: sha256(manifest),
        blobs: [config.digest, ...layers.map((l) => l.digest)],
      });
    }
    await stopKeepingTree(bulk);
    bulkBefore = await snapshot(bulkRoot);
  });

  after(async () => {
    await r2?.stop();
    await bulk?.stop();
    await work.cleanup();
  });

  for (const dialect of dialects()) {
    test(`imports a registry:2 tree that Arca then serves identically (${dialect})`, async () => {
      const dest = await destination(dialect);
      try {
        const dry = await runImport([
          '--root',
          sourceRoot,
          '--arca-config',
          dest.configPath,
          '--dry-run',
          '-o',
          'json',
        ]);
        assert.equal(dry.code, 0, dry.stderr);
        const plan = summaryOf(dry);
        assert.equal(plan.repositories.total, 2);
        assert.ok(plan.plan!.some((p) => p.kind === 'tag' && p.name === 'sig'));
        assert.equal(existsSync(join(dest.storage, 'blobs')), false, 'a dry run writes no blobs');

        const first = await runImport(['--root', sourceRoot, '--arca-config', dest.configPath, '-o', 'json']);
        assert.equal(first.code, 0, `${first.stderr}\n${first.stdout}`);
        const s = summaryOf(first);
        assert.deepEqual(s.errors, []);
        assert.deepEqual(s.repositories, { total: 2, new: 2, failed: 0 });
        assert.equal(s.tags.new, 4);
        // The index and its two children; the plain image and the artifact.
        assert.equal(s.manifests.new, 5);
        assert.equal(s.blobs.new, s.blobs.copied);
        assert.equal(s.bytes.copied, s.bytes.source);
        assert.equal(
          s.tags.new + s.manifests.new + s.blobs.new,
          plan.plan!.length,
          'the dry run listed it all',
        );
        assert.match(
          first.stderr,
          /\[1\/2\] team\/apps\/multi: 1 tags, 3 manifests/,
          'a line per repository',
        );

        const arca = await startArca({ dialect, dataDir: dest.dir.path, databaseUrl: dest.databaseUrl });
        try {
          for (const [key, bytes] of raw) {
            const [repo, reference] = key.includes('@') ? key.split('@') : key.split(':');
            const served = await skopeoInspectRaw(dockerRef(arca.host, repo!, reference!));
            assert.ok(served.equals(bytes), `${key}: Arca serves other bytes than registry:2 did`);
          }
          const pulled = join(work.path, `from-arca-${dialect}`);
          await skopeoCopy(dockerRef(arca.host, 'team/apps/multi', 'v1'), `oci:${pulled}:multi`, {
            all: true,
          });
          await skopeoCopy(dockerRef(arca.host, 'team/plain', 'v1'), `oci:${pulled}:plain`);
          assert.deepEqual(await layoutBlobs(pulled), registryBlobs);

          const referrers = await fetch(`${arca.url}/v2/team/plain/referrers/${plainDigest}`);
          assert.equal(referrers.status, 200);
          const { manifests } = (await referrers.json()) as {
            manifests: { digest: string; artifactType: string }[];
          };
          assert.deepEqual(manifests, [
            {
              mediaType: OCI_MANIFEST,
              digest: artifactDigest,
              size: raw.get('team/plain:sig')!.length,
              artifactType: SIG_TYPE,
            },
          ]);

          // Again, through the registry:2 config this time, while Arca serves: nothing new.
          const again = await runImport([
            '--config',
            r2.configPath,
            '--arca-config',
            dest.configPath,
            '-o',
            'json',
          ]);
          assert.equal(again.code, 0, again.stderr);
          const s2 = summaryOf(again);
          assert.equal(newCount(s2), 0);
          assert.equal(s2.bytes.copied, 0);
          assert.equal(
            s2.tags.skipped + s2.manifests.skipped + s2.blobs.skipped,
            s.tags.new + s.manifests.new + s.blobs.new,
          );
        } finally {
          await arca.stop({ keep: true });
        }
      } finally {
        await dest.cleanup();
      }
    });

    test(`an import killed with SIGKILL completes when run again (${dialect})`, async () => {
      const dest = await destination(dialect);
      try {
        const child = spawn(
          process.execPath,
          [ARCA_MAIN, 'import', 'registry2', '--root', bulkRoot, '--arca-config', dest.configPath],
          {
            cwd: REPO_ROOT,
            env: serverEnv(),
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        trackChild(child);
        let stderr = '';
        let stdout = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        const firstRepository = new Promise<void>((resolve) => {
          child.stderr.on('data', (b: Buffer) => {
            stderr += b.toString();
            if (/^\[1\/8\] /m.test(stderr)) resolve();
          });
        });
        await Promise.race([firstRepository, waitForExit(child)]);
        child.kill('SIGKILL');
        await waitForExit(child);
        assert.equal(
          child.signalCode,
          'SIGKILL',
          `the import ended before it was killed:\n${stderr}${stdout}`,
        );
        assert.equal(stdout, '', 'no summary from a killed import');

        const rerun = await runImport(['--root', bulkRoot, '--arca-config', dest.configPath, '-o', 'json']);
        assert.equal(rerun.code, 0, rerun.stderr);
        const s = summaryOf(rerun);
        assert.deepEqual(s.errors, []);
        assert.ok(s.blobs.skipped >= 4, `the first repository's blobs were kept: ${JSON.stringify(s.blobs)}`);
        assert.ok(s.blobs.new > 0 && s.tags.new > 0, 'the rest was imported by the second run');
        assert.equal(s.blobs.new + s.blobs.skipped, 32);

        const third = await runImport(['--root', bulkRoot, '--arca-config', dest.configPath, '-o', 'json']);
        assert.equal(newCount(summaryOf(third)), 0);

        const arca = await startArca({ dialect, dataDir: dest.dir.path, databaseUrl: dest.databaseUrl });
        try {
          for (const [repo, content] of bulkContent) {
            const res = await fetch(`${arca.url}/v2/${repo}/manifests/v1`, {
              headers: { Accept: OCI_MANIFEST },
            });
            assert.equal(res.status, 200, repo);
            assert.equal(sha256(Buffer.from(await res.arrayBuffer())), content.manifest);
            for (const digest of content.blobs) {
              const blob = await fetch(`${arca.url}/v2/${repo}/blobs/${digest}`);
              assert.equal(blob.status, 200, `${repo} ${digest}`);
              assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), digest);
            }
          }
        } finally {
          await arca.stop({ keep: true });
        }
      } finally {
        await dest.cleanup();
      }
    });
  }

  test('a large blob is streamed: the import process stays small', async () => {
    const big = await startRegistry2();
    const dest = await destination(dialects()[0]!);
    try {
      const blob = await pushChunkedBlob(big.url, 'big/model', 'big', 12);
      const configBytes = Buffer.from('{"architecture":"amd64","os":"linux"}');
      const config = {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: await pushBlobInUpload(big.url, 'big/model', configBytes),
        size: configBytes.length,
      };
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config,
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...blob }],
      });
      const put = await putManifest(big.url, 'big/model', 'v1', Buffer.from(manifest));
      assert.equal(put.status, 201);
      await stopKeepingTree(big);

      const child = spawn(
        process.execPath,
        [
          ARCA_MAIN,
          'import',
          'registry2',
          '--root',
          join(big.dataDir, 'storage'),
          '--arca-config',
          dest.configPath,
        ],
        { cwd: REPO_ROOT, env: serverEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
      );
      trackChild(child);
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      let peak = 0;
      const sampler = setInterval(() => {
        try {
          peak = Math.max(peak, rssOf(child.pid!));
        } catch {
          // exited between samples
        }
      }, 20);
      await waitForExit(child);
      clearInterval(sampler);
      assert.equal(child.exitCode, 0, stderr);
      assert.ok(peak > 0, 'sampled');
      // About 135 MiB here whatever the blob size (up to 161 MiB seen on a machine under heavy
      // load); holding this one would add its 192 MiB. The bound sits between the two.
      assert.ok(
        peak < 135 * 2 ** 20 + blob.size / 2,
        `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB while copying ${blob.size} bytes`,
      );
      const stored = join(dest.storage, 'blobs/sha256', blob.digest.slice(7, 9), blob.digest.slice(7));
      assert.equal((await lstat(stored)).size, blob.size);
    } finally {
      await big.stop();
      await dest.cleanup();
    }
  });

  test('a corrupt blob in the source is reported and never imported', async () => {
    const dialect = dialects()[0]!;
    const dest = await destination(dialect);
    const copy = makeTempDir('import-r2-corrupt-');
    try {
      await cp(sourceRoot, copy.path, { recursive: true });
      const manifest = JSON.parse(raw.get('team/plain:v1')!.toString('utf8')) as {
        layers: { digest: string }[];
      };
      const bad = manifest.layers.at(-1)!.digest;
      const data = join(copy.path, 'docker/registry/v2/blobs/sha256', bad.slice(7, 9), bad.slice(7), 'data');
      const bytes = await readFile(data);
      bytes[bytes.length >> 1]! ^= 0xff;
      await writeFile(data, bytes);

      const result = await runImport(['--root', copy.path, '--arca-config', dest.configPath, '-o', 'json']);
      assert.equal(result.code, 2, result.stderr);
      const s = summaryOf(result);
      const blobError = s.errors.find((e) => e.item === `blob ${bad}`);
      assert.ok(blobError, `no error for the corrupt blob: ${JSON.stringify(s.errors)}`);
      assert.match(blobError.message, /corrupt/);
      assert.match(result.stderr, new RegExp(`error: team/plain blob ${bad}`));
      // The image that needs it (and its tags and its artifact's subject link) is not imported; the rest is.
      assert.ok(s.errors.some((e) => e.item === `manifest ${plainDigest}`));
      assert.equal(s.repositories.failed, 1);
      assert.ok(s.tags.new >= 2, 'the index and the artifact were imported');
      assert.equal(existsSync(join(dest.storage, 'blobs/sha256', bad.slice(7, 9), bad.slice(7))), false);
      const leftovers = existsSync(join(dest.storage, '_uploads'))
        ? await readdir(join(dest.storage, '_uploads'))
        : [];
      assert.deepEqual(leftovers, [], 'the rejected upload was removed');
    } finally {
      await copy.cleanup();
      await dest.cleanup();
    }
  });

  test('refuses what it cannot import, with a message naming it', async () => {
    const dest = await destination(dialects()[0]!);
    const scratch = makeTempDir('import-r2-errors-');
    try {
      const fails = async (args: string[], pattern: RegExp) => {
        const r = await runImport([...args, '--arca-config', dest.configPath]);
        assert.equal(r.code, 1, `${args.join(' ')}: exit ${r.code}\n${r.stderr}${r.stdout}`);
        assert.match(r.stderr, pattern);
      };
      await fails(['--root', join(scratch.path, 'missing')], /source root .*missing does not exist/);
      await mkdir(join(scratch.path, 'empty'));
      await fails(['--root', join(scratch.path, 'empty')], /not a registry:2 storage tree/);
      await fails(['--config', join(scratch.path, 'missing.yml')], /cannot read registry:2 config/);
      const gcs = join(scratch.path, 'gcs.yml');
      await writeFile(gcs, stringify({ version: 0.1, storage: { gcs: { bucket: 'b' } } }));
      await fails(['--config', gcs], /storage driver 'gcs' cannot be imported from/);
      const s3 = join(scratch.path, 's3.yml');
      const closed = `https://127.0.0.1:${await freePort()}`;
      const s3Params = {
        bucket: 'b',
        region: 'auto',
        regionendpoint: closed,
        accesskey: 'k',
        secretkey: 's',
      };
      await writeFile(s3, stringify({ version: 0.1, storage: { s3: s3Params } }));
      await fails(
        ['--config', s3],
        new RegExp(`source s3://b \\(${closed}\\) is not usable: endpoint .* is unreachable`),
      );
      const broken = join(scratch.path, 'broken.yml');
      await writeFile(broken, 'storage: [unclosed\n');
      await fails(['--config', broken], /is not valid YAML/);
      await fails([], /--root <dir> or --config/);
      // An Arca whose storage lies in the source would write into it.
      const inside = join(scratch.path, 'inside.yml');
      await writeFile(
        inside,
        stringify({ storage: { filesystem: { rootdirectory: join(sourceRoot, 'arca') } } }),
      );
      const r = await runImport(['--root', sourceRoot, '--arca-config', inside]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /overlap/);
    } finally {
      await scratch.cleanup();
      await dest.cleanup();
    }
  });

  test('the source trees are unchanged: every file, its content and its mtime', async () => {
    assert.deepEqual(await snapshot(sourceRoot), before_);
    assert.deepEqual(await snapshot(bulkRoot), bulkBefore);
  });
});
