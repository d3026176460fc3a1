import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createRepo,
  datasetInfo,
  downloadFile,
  listFiles,
  modelInfo,
  snapshotDownload,
  uploadFiles,
} from '@huggingface/hub';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { runArca } from '../helpers/arca-cli.js';
import { digestOf, receivedBytes, writeTree } from '../helpers/asset-files.js';
import { sharedCephRgw, stopSharedCephRgw } from '../helpers/ceph-rgw.js';
import { dialects } from '../helpers/dialects.js';
import { hubFetch, type HubFetch } from '../helpers/hub-fetch.js';
import { skopeo } from '../helpers/skopeo.js';
import { storageLabel, storages } from '../helpers/storages.js';
import { makeTempDir } from '../helpers/tmp.js';

const MiB = 1024 * 1024;
const readme = '---\nlicense: apache-2.0\ntags: [tiny]\n---\n# tiny\n';
/** One file over 100 MiB (LFS multipart), one LFS file in one PUT, small files inline. */
const sizes = { 'weights/model.bin': 110 * MiB, 'weights/extra.bin': 3 * MiB, 'config.json': 900 };

// The model folder is written once for every dialect and storage.
const data = makeTempDir('arca-hf-data-');
const folder = join(data.path, 'tiny');
let digests: Record<string, string> = {};
after(async () => {
  await stopSharedCephRgw();
  await data.cleanup();
});

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

for (const [dialect, storage] of dialects().flatMap((d) => storages().map((s) => [d, s] as const))) {
  describe(
    `the Hub API with @huggingface/hub (${dialect}${storageLabel(storage)})`,
    { timeout: 170_000 },
    () => {
      let arca: RunningArca;
      let hub: HubFetch;
      let hubUrl: string;
      let caFile: string | undefined;
      let rgwEndpoint = '';
      const tmp = makeTempDir('arca-hf-');
      let commit = '';
      let datasetCommit = '';
      // The server runs without authentication; the client insists on a token spelled hf_….
      const client = () => ({ hubUrl, fetch: hub.fetch, accessToken: 'hf_no-auth' });

      before(async () => {
        // On S3, downloads redirect to the bucket (an absolute presigned URL) and uploads go straight to it.
        arca = await startArca({
          dialect,
          storage,
          ...(storage === 's3' ? { config: { storage: { redirect: { disable: false } } } } : {}),
        });
        hubUrl = `${arca.url}/hf`;
        if (storage === 's3') {
          const rgw = await sharedCephRgw();
          caFile = rgw.caFile;
          rgwEndpoint = rgw.endpoint;
          hub = hubFetch({ origin: new URL(rgw.endpoint).origin, agent: rgw.httpsAgent() });
        } else hub = hubFetch();
        digests = writeTree(folder, sizes);
        writeFileSync(join(folder, 'README.md'), readme);
        digests['README.md'] = `sha256:${sha256(readme)}`;
      });
      after(async () => {
        await arca?.stop();
        await tmp.cleanup();
      });

      test('createRepo, uploadFiles (LFS, multipart), listFiles, modelInfo, downloadFile, snapshotDownload', async () => {
        const repo = { type: 'model' as const, name: 'default/tiny' };
        const created = await createRepo({ repo, ...client() });
        assert.equal(created.repoUrl, `${hubUrl}/default/tiny`);
        await assert.rejects(createRepo({ repo, ...client() }), /already created/);

        const before = hub.putBytes();
        const arcaBefore = await receivedBytes(arca.url);
        const result = await uploadFiles({
          repo,
          ...client(),
          // The folder's content at the root of the repository (a bare folder URL would nest it under its name).
          files: [{ path: '.', content: pathToFileURL(folder) }],
          commitTitle: 'first weights',
        });
        assert.match(result?.commit.oid ?? '', /^[0-9a-f]{40}$/);
        commit = result!.commit.oid;
        // Only LFS objects are PUT; the small files travel inside the commit.
        assert.equal(hub.putBytes() - before, 113 * MiB);
        // On S3 the 110 MiB object goes to the bucket in presigned parts, the 3 MiB one in one PUT.
        const throughArca = (await receivedBytes(arca.url)) - arcaBefore;
        if (storage === 's3') assert.ok(throughArca < 2 * MiB, `Arca received ${throughArca} bytes`);
        else assert.ok(throughArca >= 100 * MiB, `Arca received ${throughArca} bytes`);

        const listed = [];
        for await (const entry of listFiles({ repo, ...client(), recursive: true })) listed.push(entry);
        assert.deepEqual(
          listed.map((e) => `${e.type}:${e.path}`),
          [
            'file:README.md',
            'file:config.json',
            'directory:weights',
            'file:weights/extra.bin',
            'file:weights/model.bin',
          ],
        );
        const model = listed.find((e) => e.path === 'weights/model.bin')!;
        assert.equal(model.size, 110 * MiB);
        assert.equal(model.lfs?.oid, digests['weights/model.bin']!.slice(7));
        const top = [];
        for await (const entry of listFiles({ repo, ...client() })) top.push(entry.path);
        assert.deepEqual(top, ['README.md', 'config.json', 'weights']);

        const info = await modelInfo({
          name: 'default/tiny',
          ...client(),
          additionalFields: ['sha', 'cardData'],
        });
        assert.equal(info.name, 'default/tiny');
        assert.equal((info as unknown as { sha: string }).sha, commit);
        assert.deepEqual((info as unknown as { cardData: unknown }).cardData, {
          license: 'apache-2.0',
          tags: ['tiny'],
        });
        assert.equal((info as unknown as { filePaths?: unknown }).filePaths, undefined);

        const blob = await downloadFile({ repo, ...client(), path: 'config.json' });
        assert.ok(blob);
        assert.equal(`sha256:${sha256(Buffer.from(await blob.arrayBuffer()))}`, digests['config.json']);
        const big = await downloadFile({ repo, ...client(), path: 'weights/model.bin', revision: commit });
        assert.ok(big);
        assert.equal(big.size, 110 * MiB);
        const slice = Buffer.from(await big.slice(100 * MiB, 100 * MiB + 4096).arrayBuffer());
        const fd = readFileSync(join(folder, 'weights/model.bin')).subarray(100 * MiB, 100 * MiB + 4096);
        assert.ok(slice.equals(fd), 'a Range slice holds the same bytes');
        assert.equal(await downloadFile({ repo, ...client(), path: 'no/such.bin' }), null);

        const cacheDir = join(tmp.path, 'cache');
        const snapshot = await snapshotDownload({ repo, ...client(), cacheDir });
        assert.ok(snapshot.endsWith(commit));
        for (const [path, digest] of Object.entries(digests))
          assert.equal(digestOf(join(snapshot, path)), digest, path);
      });

      test('a second upload of the same big file transfers nothing', async () => {
        const repo = { type: 'model' as const, name: 'default/copy' };
        await createRepo({ repo, ...client() });
        const received = await receivedBytes(arca.url);
        const put = hub.putBytes();
        await uploadFiles({
          repo,
          ...client(),
          files: [{ path: 'model.bin', content: pathToFileURL(join(folder, 'weights/model.bin')) }],
        });
        assert.equal(hub.putBytes() - put, 0, 'no object was sent');
        const sent = (await receivedBytes(arca.url)) - received;
        assert.ok(sent < MiB, `Arca received ${sent} bytes`);
        const entries = [];
        for await (const e of listFiles({ repo, ...client() })) entries.push(e);
        const [entry] = entries;
        assert.equal(entry?.lfs?.oid, digests['weights/model.bin']!.slice(7));
      });

      test('the Python client contract: HEAD, redirects, commit revisions, errors, resumed ranges', async () => {
        const base = `${hubUrl}/default/tiny/resolve`;
        const head = await fetch(`${base}/main/config.json`, { method: 'HEAD', redirect: 'manual' });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('x-repo-commit'), commit);
        assert.equal(head.headers.get('x-linked-etag'), `"${digests['config.json']!.slice(7)}"`);
        assert.equal(head.headers.get('etag'), `"${digests['config.json']!.slice(7)}"`);
        assert.equal(head.headers.get('x-linked-size'), '900');
        assert.equal(head.headers.get('content-length'), '900');
        for (const name of ['x-xet-hash', 'x-xet-refresh-route']) assert.equal(head.headers.get(name), null);

        const byCommit = await fetch(`${base}/${commit}/weights/model.bin`, {
          method: 'HEAD',
          redirect: 'manual',
        });
        assert.equal(byCommit.status, 200);
        assert.equal(byCommit.headers.get('x-repo-commit'), commit);
        assert.equal(byCommit.headers.get('x-linked-size'), String(110 * MiB));

        const get = await fetch(`${base}/main/weights/model.bin`, { redirect: 'manual' });
        if (storage === 's3') {
          assert.equal(get.status, 307);
          const location = get.headers.get('location')!;
          assert.match(location, /^https:\/\/127\.0\.0\.1:\d+\//, 'an absolute Location');
          await get.body?.cancel();
        } else {
          assert.equal(get.status, 200);
          await get.body?.cancel();
        }
        const resumed = await hub.fetch(`${base}/main/weights/model.bin`, {
          headers: { Range: `bytes=${110 * MiB - 10}-` },
        });
        assert.equal(resumed.status, 206);
        assert.equal(
          resumed.headers.get('content-range'),
          `bytes ${110 * MiB - 10}-${110 * MiB - 1}/${110 * MiB}`,
        );
        assert.equal(Buffer.from(await resumed.arrayBuffer()).length, 10);

        const missing = await fetch(`${base}/main/nothing.txt`, { method: 'HEAD' });
        assert.equal(missing.status, 404);
        assert.equal(missing.headers.get('x-error-code'), 'EntryNotFound');
        assert.equal(missing.headers.get('x-repo-commit'), commit);
        const noRev = await fetch(`${base}/${'0'.repeat(40)}/config.json`);
        assert.equal(noRev.status, 404);
        assert.equal(noRev.headers.get('x-error-code'), 'RevisionNotFound');
        const noRepo = await fetch(`${hubUrl}/default/absent/resolve/main/config.json`);
        assert.equal(noRepo.headers.get('x-error-code'), 'RepoNotFound');
        assert.equal(noRepo.status, 401, 'the Hub answers 401 to anonymous callers for missing repositories');
        assert.deepEqual(Object.keys((await noRepo.json()) as object), ['error']);

        const form = await fetch(`${hubUrl}/api/models/default/tiny/paths-info/main`, {
          method: 'POST',
          body: new URLSearchParams([
            ['paths', 'weights/extra.bin'],
            ['paths', 'weights'],
            ['expand', 'True'],
          ]),
        });
        const entries = (await form.json()) as {
          path: string;
          type: string;
          lfs?: { oid: string };
          lastCommit?: { id: string };
        }[];
        assert.deepEqual(
          entries.map((e) => `${e.type}:${e.path}`),
          ['file:weights/extra.bin', 'directory:weights'],
        );
        assert.equal(entries[0]!.lastCommit?.id, commit);
        const tree = await fetch(`${hubUrl}/api/models/default/tiny/tree/main/weights%2F?recursive=false`);
        assert.deepEqual(
          ((await tree.json()) as { path: string }[]).map((e) => e.path),
          ['weights/extra.bin', 'weights/model.bin'],
        );
        const info = (await (await fetch(`${hubUrl}/api/models/default/tiny/revision/${commit}`)).json()) as {
          sha: string;
        };
        assert.equal(info.sha, commit);
      });

      if (storage === 's3')
        test('presigned multipart to the bucket: a completion naming a wrong ETag stores nothing; the right one does', async () => {
          const bytes = Buffer.alloc(40 * MiB, 7);
          bytes.write('multipart', 0);
          const oid = sha256(bytes);
          const lfs = async () => {
            const answer = await fetch(`${hubUrl}/default/tiny.git/info/lfs/objects/batch`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/vnd.git-lfs+json' },
              body: JSON.stringify({
                operation: 'upload',
                transfers: ['multipart'],
                objects: [{ oid, size: bytes.length }],
              }),
            });
            assert.equal(answer.status, 200);
            const body = (await answer.json()) as {
              objects: { actions: { upload: { href: string; header: Record<string, string> } } }[];
            };
            return body.objects[0]!.actions.upload;
          };
          const upload = await lfs();
          const partSize = Number(upload.header.chunk_size);
          assert.equal(Object.keys(upload.header).filter((k) => /^\d+$/.test(k)).length, 2);
          const bucket = new URL(rgwEndpoint).origin;
          const etags: string[] = [];
          for (const n of [1, 2]) {
            const url = upload.header[String(n)]!;
            assert.equal(new URL(url).origin, bucket, 'parts go straight to the bucket');
            const put = await hub.fetch(url, {
              method: 'PUT',
              body: bytes.subarray((n - 1) * partSize, n * partSize),
            });
            assert.equal(put.status, 200);
            etags.push(put.headers.get('etag')!);
          }
          const complete = (parts: { partNumber: number; etag: string }[]) =>
            fetch(upload.href, {
              method: 'POST',
              headers: { 'Content-Type': 'application/vnd.git-lfs+json' },
              body: JSON.stringify({ oid, parts }),
            });
          const wrong = await complete([
            { partNumber: 1, etag: etags[0]! },
            { partNumber: 2, etag: '"0123456789abcdef0123456789abcdef"' },
          ]);
          assert.equal(wrong.status, 400);
          assert.ok(((await wrong.json()) as { error: string }).error.length > 0);
          const head = await fetch(`${hubUrl}/api/models/default/tiny`);
          const parent = ((await head.json()) as { sha: string }).sha;
          const commit = (path: string) =>
            fetch(`${hubUrl}/api/models/default/tiny/commit/main`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/x-ndjson' },
              body: [
                { key: 'header', value: { summary: 'parts', parentCommit: parent } },
                { key: 'lfsFile', value: { path, algo: 'sha256', oid, size: bytes.length } },
              ]
                .map((l) => JSON.stringify(l))
                .join('\n'),
            });
          assert.equal((await commit('parts.bin')).status, 400, 'nothing was stored');
          // The refused completion dropped the upload: a new batch, the parts again, the right ETags.
          const again = await lfs();
          const good: { partNumber: number; etag: string }[] = [];
          for (const n of [1, 2]) {
            const put = await hub.fetch(again.header[String(n)]!, {
              method: 'PUT',
              body: bytes.subarray((n - 1) * partSize, n * partSize),
            });
            good.push({ partNumber: n, etag: put.headers.get('etag')! });
          }
          const ok = await fetch(again.href, {
            method: 'POST',
            headers: { 'Content-Type': 'application/vnd.git-lfs+json' },
            body: JSON.stringify({ oid, parts: good }),
          });
          assert.equal(ok.status, 200, await ok.clone().text());
          assert.equal((await commit('parts.bin')).status, 200);
          const got = await downloadFile({
            repo: { type: 'model', name: 'default/tiny' },
            ...client(),
            path: 'parts.bin',
          });
          assert.equal(sha256(Buffer.from(await got!.arrayBuffer())), oid);
        });

      test('a dataset repository', async () => {
        const repo = { type: 'dataset' as const, name: 'default/reviews' };
        await createRepo({ repo, ...client() });
        await uploadFiles({
          repo,
          ...client(),
          files: [
            { path: 'train.csv', content: new Blob(['a,b\n1,2\n']) },
            { path: 'data/big.parquet', content: pathToFileURL(join(folder, 'weights/extra.bin')) },
          ],
        });
        const info = await datasetInfo({ name: 'default/reviews', ...client(), additionalFields: ['sha'] });
        datasetCommit = (info as unknown as { sha: string }).sha;
        assert.match(datasetCommit, /^[0-9a-f]{40}$/);
        const csv = await downloadFile({ repo, ...client(), path: 'train.csv' });
        assert.equal(await csv?.text(), 'a,b\n1,2\n');
        const head = await fetch(`${hubUrl}/datasets/default/reviews/resolve/main/data/big.parquet`, {
          method: 'HEAD',
        });
        assert.equal(head.headers.get('x-linked-etag'), `"${digests['weights/extra.bin']!.slice(7)}"`);
        const asModel = await fetch(`${hubUrl}/api/models/default/reviews`);
        assert.equal(asModel.headers.get('x-error-code'), 'RepoNotFound');
      });

      test('one content model: arca model push → Hub download; Hub upload → arca model pull and skopeo', async () => {
        const env = {
          ARCA_SERVER: arca.url,
          XDG_CACHE_HOME: join(tmp.path, 'xdg'),
          ...(caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {}),
        };
        const pushed = join(tmp.path, 'pushed');
        const pushedDigests = writeTree(pushed, { 'a.bin': 2 * MiB, 'sub/b.txt': 50 });
        const push = await runArca(
          ['model', 'push', pushed, '-r', 'default', '--name', 'cli', '--version', '3'],
          { env },
        );
        assert.equal(push.code, 0, push.stderr);
        const repo = { type: 'model' as const, name: 'default/cli' };
        const snap = await snapshotDownload({ repo, ...client(), cacheDir: join(tmp.path, 'cache2') });
        for (const [path, digest] of Object.entries(pushedDigests))
          assert.equal(digestOf(join(snap, path)), digest, path);

        // The dataset uploaded through the Hub API above is version 1 of default/reviews.
        const out = join(tmp.path, 'pulled');
        const pull = await runArca(['dataset', 'pull', 'reviews:1', out, '-r', 'default'], { env });
        assert.equal(pull.code, 0, pull.stderr);
        assert.equal(readFileSync(join(out, 'train.csv'), 'utf8'), 'a,b\n1,2\n');
        assert.equal(digestOf(join(out, 'data/big.parquet')), digests['weights/extra.bin']);
        // A commit on top of version 3 is version 4, with the files of 3 and the change.
        await uploadFiles({ repo, ...client(), files: [{ path: 'c.txt', content: new Blob(['c']) }] });
        const versions = await runArca(['model', 'versions', 'cli', '-r', 'default', '-o', 'json'], { env });
        assert.match(versions.stdout, /"version": ?"4"/);
        const copied = await skopeo(
          [
            'copy',
            '--quiet',
            '--src-tls-verify=false',
            `docker://${arca.host}/default/datasets/reviews:1`,
            `oci:${join(tmp.path, 'oci')}:reviews`,
          ],
          { check: false, timeoutMs: 120_000, env: caFile ? { SSL_CERT_FILE: caFile } : {} },
        );
        assert.equal(copied.code, 0, copied.stderr);
        const index = JSON.parse(readFileSync(join(tmp.path, 'oci', 'index.json'), 'utf8')) as {
          manifests: { digest: string }[];
        };
        assert.equal(
          index.manifests[0]!.digest.slice(7, 47),
          datasetCommit,
          'the commit id is the manifest digest',
        );
      });
    },
  );
}
