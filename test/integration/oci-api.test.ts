import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { stopSharedCephRgw } from '../helpers/ceph-rgw.js';
import { dialects } from '../helpers/dialects.js';
import { storageLabel, storages } from '../helpers/storages.js';
import { rawRequest } from '../helpers/raw-http.js';
import { sha256 } from '../helpers/images.js';
import { pushBlob as pushBlobOf } from '../helpers/oci-push.js';

const sha512 = (data: Buffer | string) => `sha512:${createHash('sha512').update(data).digest('hex')}`;
const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
const ociIndex = 'application/vnd.oci.image.index.v1+json';
const emptyConfig = Buffer.from('{}');

interface ErrorBody {
  errors: { code: string; message: string }[];
}

async function errorCode(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as ErrorBody;
  return body.errors?.[0]?.code;
}

after(stopSharedCephRgw);

for (const [dialect, storage] of dialects().flatMap((d) => storages().map((s) => [d, s] as const))) {
  describe(`OCI distribution API (${dialect}${storageLabel(storage)})`, () => {
    let arca: RunningArca;
    const url = (path: string) => `${arca.url}${path}`;

    const pushBlob = (repo: string, data: Buffer) => pushBlobOf(arca.url, repo, data);

    function manifestFor(config: Buffer, layers: Buffer[], extra: Record<string, unknown> = {}) {
      return Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: ociManifest,
          config: {
            mediaType: 'application/vnd.oci.empty.v1+json',
            digest: sha256(config),
            size: config.length,
          },
          layers: layers.map((l) => ({
            mediaType: 'application/octet-stream',
            digest: sha256(l),
            size: l.length,
          })),
          ...extra,
        }),
      );
    }

    async function putManifest(repo: string, ref: string, body: Buffer<ArrayBuffer>, type = ociManifest) {
      return fetch(url(`/v2/${repo}/manifests/${ref}`), {
        method: 'PUT',
        headers: { 'Content-Type': type },
        body,
      });
    }

    before(async () => {
      // Blob GETs served by Arca itself (ranges, errors): on S3 they would redirect to the bucket.
      arca = await startArca({ dialect, storage, config: { storage: { redirect: { disable: true } } } });
    });
    after(async () => {
      await arca?.stop();
    });

    test('ping answers with the API version header', async () => {
      const res = await fetch(url('/v2/'));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    });

    test('monolithic, POST+PUT and chunked uploads, then ranged reads', async () => {
      const repo = 'api/uploads';
      const a = randomBytes(100_000);
      const da = await pushBlob(repo, a);

      const b = randomBytes(70_000);
      const start = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
      assert.equal(start.status, 202);
      const location = start.headers.get('location')!;
      assert.ok(start.headers.get('docker-upload-uuid'));
      const put = await fetch(new URL(`${location}?digest=${sha256(b)}`, arca.url), {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: b,
      });
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('docker-content-digest'), sha256(b));

      const c = randomBytes(300_000);
      const begin = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
      let loc = begin.headers.get('location')!;
      for (let offset = 0; offset < c.length; offset += 100_000) {
        const chunk = c.subarray(offset, offset + 100_000);
        const res = await fetch(new URL(loc, arca.url), {
          method: 'PATCH',
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Range': `${offset}-${offset + chunk.length - 1}`,
          },
          body: chunk,
        });
        assert.equal(res.status, 202);
        assert.equal(res.headers.get('range'), `0-${offset + chunk.length - 1}`);
        loc = res.headers.get('location')!;
      }
      const status = await fetch(new URL(loc, arca.url));
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), `0-${c.length - 1}`);
      const outOfOrder = await fetch(new URL(loc, arca.url), {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-9' },
        body: randomBytes(10),
      });
      assert.equal(outOfOrder.status, 416);
      assert.equal(outOfOrder.headers.get('range'), `0-${c.length - 1}`);
      const done = await fetch(new URL(`${loc}?digest=${sha256(c)}`, arca.url), { method: 'PUT' });
      assert.equal(done.status, 201);

      const head = await fetch(url(`/v2/${repo}/blobs/${da}`), { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(a.length));
      assert.equal(head.headers.get('docker-content-digest'), da);
      const full = Buffer.from(await (await fetch(url(`/v2/${repo}/blobs/${sha256(c)}`))).arrayBuffer());
      assert.ok(full.equals(c));
      const ranged = await fetch(url(`/v2/${repo}/blobs/${da}`), { headers: { Range: 'bytes=10-19' } });
      assert.equal(ranged.status, 206);
      assert.equal(ranged.headers.get('content-range'), `bytes 10-19/${a.length}`);
      assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(a.subarray(10, 20)));
      const unsatisfiable = await fetch(url(`/v2/${repo}/blobs/${da}`), {
        headers: { Range: `bytes=${a.length}-` },
      });
      assert.equal(unsatisfiable.status, 416);
      await unsatisfiable.arrayBuffer();
    });

    test('sha512 blobs and manifests', async () => {
      const repo = 'api/sha512';
      const data = randomBytes(5000);
      const res = await fetch(url(`/v2/${repo}/blobs/uploads/?digest=${sha512(data)}`), {
        method: 'POST',
        body: data,
      });
      assert.equal(res.status, 201);
      const get = await fetch(url(`/v2/${repo}/blobs/${sha512(data)}`));
      assert.ok(Buffer.from(await get.arrayBuffer()).equals(data));
      await pushBlob(repo, emptyConfig);
      const body = manifestFor(emptyConfig, []);
      const put = await putManifest(repo, sha512(body), body);
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('docker-content-digest'), sha512(body));
    });

    test('upload status, cancel and unknown uploads', async () => {
      const repo = 'api/cancel';
      const start = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
      const loc = start.headers.get('location')!;
      const status = await fetch(new URL(loc, arca.url));
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), '0-0');
      assert.equal((await fetch(new URL(loc, arca.url), { method: 'DELETE' })).status, 204);
      const gone = await fetch(new URL(loc, arca.url));
      assert.equal(gone.status, 404);
      assert.equal(await errorCode(gone), 'BLOB_UPLOAD_UNKNOWN');
      const other = await fetch(url(`/v2/api/other/blobs/uploads/${loc.split('/').pop()}`));
      assert.equal(await errorCode(other), 'BLOB_UPLOAD_UNKNOWN');
    });

    test('cross-repository mount: 201 when the source has it, 202 otherwise', async () => {
      const data = randomBytes(1000);
      const digest = await pushBlob('api/mount-src', data);
      const mounted = await fetch(
        url(`/v2/api/mount-dst/blobs/uploads/?mount=${digest}&from=api/mount-src`),
        {
          method: 'POST',
        },
      );
      assert.equal(mounted.status, 201);
      assert.equal(mounted.headers.get('location'), `/v2/api/mount-dst/blobs/${digest}`);
      assert.equal((await fetch(url(`/v2/api/mount-dst/blobs/${digest}`), { method: 'HEAD' })).status, 200);
      const fallback = await fetch(
        url(`/v2/api/mount-dst2/blobs/uploads/?mount=${sha256('nope')}&from=api/mount-src`),
        {
          method: 'POST',
        },
      );
      assert.equal(fallback.status, 202);
      assert.ok(fallback.headers.get('location')?.includes('/blobs/uploads/'));
    });

    test('manifests by tag and digest, index, tags pagination, untag and delete', async () => {
      const repo = 'api/manifests';
      const layer = randomBytes(2048);
      await pushBlob(repo, emptyConfig);
      await pushBlob(repo, layer);
      const manifest = manifestFor(emptyConfig, [layer]);
      const put = await putManifest(repo, 'v1', manifest);
      assert.equal(put.status, 201);
      const digest = sha256(manifest);
      assert.equal(put.headers.get('docker-content-digest'), digest);
      assert.equal(put.headers.get('location'), `/v2/${repo}/manifests/${digest}`);

      for (const ref of ['v1', digest]) {
        const get = await fetch(url(`/v2/${repo}/manifests/${ref}`), { headers: { Accept: ociManifest } });
        assert.equal(get.status, 200);
        assert.equal(get.headers.get('content-type'), ociManifest);
        assert.equal(get.headers.get('docker-content-digest'), digest);
        assert.ok(Buffer.from(await get.arrayBuffer()).equals(manifest));
        const head = await fetch(url(`/v2/${repo}/manifests/${ref}`), { method: 'HEAD' });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('content-length'), String(manifest.length));
      }

      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: ociIndex,
          manifests: [
            {
              mediaType: ociManifest,
              digest,
              size: manifest.length,
              platform: { os: 'linux', architecture: 'amd64' },
            },
          ],
        }),
      );
      assert.equal((await putManifest(repo, 'multi', index, ociIndex)).status, 201);
      for (const t of ['v2', 'v3', 'v4']) assert.equal((await putManifest(repo, t, manifest)).status, 201);

      const page1 = await fetch(url(`/v2/${repo}/tags/list?n=2`));
      assert.deepEqual(await page1.json(), { name: repo, tags: ['multi', 'v1'] });
      assert.equal(page1.headers.get('link'), `</v2/${repo}/tags/list?n=2&last=v1>; rel="next"`);
      const page2 = await fetch(url(`/v2/${repo}/tags/list?n=2&last=v1`));
      assert.deepEqual(await page2.json(), { name: repo, tags: ['v2', 'v3'] });
      const all = await fetch(url(`/v2/${repo}/tags/list`));
      assert.deepEqual(await all.json(), { name: repo, tags: ['multi', 'v1', 'v2', 'v3', 'v4'] });
      assert.equal(all.headers.get('link'), null);

      assert.equal((await fetch(url(`/v2/${repo}/manifests/v4`), { method: 'DELETE' })).status, 202);
      assert.equal((await fetch(url(`/v2/${repo}/manifests/v4`))).status, 404);
      assert.equal(
        (await fetch(url(`/v2/${repo}/manifests/${digest}`))).status,
        200,
        'untag keeps the manifest',
      );

      assert.equal((await fetch(url(`/v2/${repo}/manifests/${digest}`), { method: 'DELETE' })).status, 202);
      const gone = await fetch(url(`/v2/${repo}/manifests/v1`));
      assert.equal(gone.status, 404);
      assert.equal(await errorCode(gone), 'MANIFEST_UNKNOWN');
      const layerDigest = sha256(layer);
      assert.equal((await fetch(url(`/v2/${repo}/blobs/${layerDigest}`), { method: 'DELETE' })).status, 202);
      assert.equal((await fetch(url(`/v2/${repo}/blobs/${layerDigest}`), { method: 'HEAD' })).status, 404);
    });

    test('referrers: subject header, filters, subject accepted before it exists', async () => {
      const repo = 'api/referrers';
      await pushBlob(repo, emptyConfig);
      const subjectBody = manifestFor(emptyConfig, [], { annotations: { n: '1' } });
      const subject = { mediaType: ociManifest, digest: sha256(subjectBody), size: subjectBody.length };
      const sig = manifestFor(emptyConfig, [], {
        artifactType: 'application/vnd.example.sig',
        subject,
        annotations: { 'org.example.kind': 'signature' },
      });
      const sbom = manifestFor(emptyConfig, [], { artifactType: 'application/vnd.example.sbom', subject });
      const put = await putManifest(repo, sha256(sig), sig);
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('oci-subject'), subject.digest);
      await putManifest(repo, sha256(sbom), sbom);
      await putManifest(repo, 'subject', subjectBody);

      const all = await fetch(url(`/v2/${repo}/referrers/${subject.digest}`));
      assert.equal(all.status, 200);
      assert.equal(all.headers.get('content-type'), ociIndex);
      const index = (await all.json()) as {
        manifests: { digest: string; artifactType: string; annotations?: object }[];
      };
      assert.equal(index.manifests.length, 2);
      const sigEntry = index.manifests.find((m) => m.digest === sha256(sig));
      assert.equal(sigEntry?.artifactType, 'application/vnd.example.sig');
      assert.deepEqual(sigEntry?.annotations, { 'org.example.kind': 'signature' });

      const filtered = await fetch(
        url(`/v2/${repo}/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`),
      );
      assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
      const f = (await filtered.json()) as { manifests: { digest: string }[] };
      assert.deepEqual(
        f.manifests.map((m) => m.digest),
        [sha256(sbom)],
      );
      const none = await fetch(url(`/v2/${repo}/referrers/${sha256('unknown')}`));
      assert.deepEqual(((await none.json()) as { manifests: unknown[] }).manifests, []);
      const bad = await fetch(url(`/v2/${repo}/referrers/sha256:nothex`));
      assert.equal(bad.status, 400);
    });

    test('catalog pagination', async () => {
      const res = await fetch(url('/v2/_catalog?n=1'));
      assert.equal(res.status, 200);
      const body = (await res.json()) as { repositories: string[] };
      assert.equal(body.repositories.length, 1);
      assert.match(res.headers.get('link') ?? '', /^<\/v2\/_catalog\?n=1&last=.+>; rel="next"$/);
      const bad = await fetch(url('/v2/_catalog?n=-1'));
      assert.equal(bad.status, 400);
      assert.equal(await errorCode(bad), 'PAGINATION_NUMBER_INVALID');
    });

    describe('bad input is refused with the right OCI error and stores nothing', () => {
      const repo = 'api/bad';
      const config = emptyConfig;

      test('bad repository names', async () => {
        for (const name of [
          'UPPER/case',
          'a/../b',
          'a//b',
          '-lead',
          'trail-',
          'a/%2e%2e/b',
          'x'.repeat(256),
        ]) {
          const res = await rawRequest(arca.url, 'GET', `/v2/${name}/tags/list`);
          assert.equal(res.status, 400, `${name}: ${res.body}`);
          assert.equal(JSON.parse(res.body).errors[0].code, 'NAME_INVALID', name);
        }
      });

      test('bad and mismatched digests', async () => {
        const bad = await fetch(url(`/v2/${repo}/blobs/sha256:1234`));
        assert.equal(bad.status, 400);
        assert.equal(await errorCode(bad), 'DIGEST_INVALID');
        const md5 = await fetch(
          url(`/v2/${repo}/blobs/uploads/?digest=md5:d41d8cd98f00b204e9800998ecf8427e`),
          {
            method: 'POST',
            body: 'x',
          },
        );
        assert.equal(await errorCode(md5), 'DIGEST_INVALID');
        const data = Buffer.from('the real content');
        const claimed = sha256('something else');
        const mismatch = await fetch(url(`/v2/${repo}/blobs/uploads/?digest=${claimed}`), {
          method: 'POST',
          body: data,
        });
        assert.equal(mismatch.status, 400);
        assert.equal(await errorCode(mismatch), 'DIGEST_INVALID');
        for (const d of [claimed, sha256(data)]) {
          assert.equal((await fetch(url(`/v2/${repo}/blobs/${d}`), { method: 'HEAD' })).status, 404);
        }
        const start = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
        const loc = start.headers.get('location')!;
        await fetch(new URL(loc, arca.url), { method: 'PATCH', body: data });
        const wrong = await fetch(new URL(`${loc}?digest=${claimed}`, arca.url), { method: 'PUT' });
        assert.equal(await errorCode(wrong), 'DIGEST_INVALID');
        assert.equal((await fetch(url(`/v2/${repo}/blobs/${sha256(data)}`), { method: 'HEAD' })).status, 404);
        const noDigest = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
        const put = await fetch(new URL(noDigest.headers.get('location')!, arca.url), { method: 'PUT' });
        assert.equal(await errorCode(put), 'DIGEST_INVALID');
      });

      test('a body shorter than its Content-Length stores nothing', async () => {
        const data = randomBytes(1000);
        const res = await rawRequest(arca.url, 'POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(data)}`, {
          headers: { 'Content-Length': '5000', 'Content-Type': 'application/octet-stream' },
          body: data,
          endEarly: true,
        });
        assert.ok(res.status === 0 || res.status === 400, `status ${res.status}`);
        assert.equal((await fetch(url(`/v2/${repo}/blobs/${sha256(data)}`), { method: 'HEAD' })).status, 404);
        const mismatch = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
        const chunk = await fetch(new URL(mismatch.headers.get('location')!, arca.url), {
          method: 'PATCH',
          headers: { 'Content-Range': '0-99' },
          body: randomBytes(50),
        });
        assert.equal(chunk.status, 400);
        assert.equal(await errorCode(chunk), 'SIZE_INVALID');
      });

      test('malformed, oversized and unknown manifests', async () => {
        await pushBlob(repo, config);
        const cases: [string, Buffer<ArrayBuffer>, string, number, string][] = [
          ['not json', Buffer.from('{"schemaVersion": 2,'), ociManifest, 400, 'MANIFEST_INVALID'],
          ['array', Buffer.from('[]'), ociManifest, 400, 'MANIFEST_INVALID'],
          ['schema 1', Buffer.from('{"schemaVersion":1,"name":"x"}'), ociManifest, 400, 'MANIFEST_INVALID'],
          [
            'unknown media type',
            Buffer.from(
              JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.thing', layers: [] }),
            ),
            'application/vnd.example.thing',
            400,
            'MANIFEST_INVALID',
          ],
          ['type mismatch', manifestFor(config, []), ociIndex, 400, 'MANIFEST_INVALID'],
          [
            'bad layer digest',
            Buffer.from(
              JSON.stringify({
                schemaVersion: 2,
                mediaType: ociManifest,
                config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(config), size: 2 },
                layers: [{ mediaType: 'x', digest: 'sha256:nothex', size: 1 }],
              }),
            ),
            ociManifest,
            400,
            'MANIFEST_INVALID',
          ],
          [
            'missing layer',
            manifestFor(config, [Buffer.from('never pushed')]),
            ociManifest,
            400,
            'MANIFEST_BLOB_UNKNOWN',
          ],
          [
            'missing child',
            Buffer.from(
              JSON.stringify({
                schemaVersion: 2,
                mediaType: ociIndex,
                manifests: [{ mediaType: ociManifest, digest: sha256('nothing'), size: 7 }],
              }),
            ),
            ociIndex,
            400,
            'MANIFEST_BLOB_UNKNOWN',
          ],
          [
            'oversized',
            manifestFor(config, [], { annotations: { big: 'x'.repeat(4 * 1024 * 1024) } }),
            ociManifest,
            413,
            'SIZE_INVALID',
          ],
        ];
        for (const [name, body, type, status, code] of cases) {
          const res = await putManifest(repo, 'bad', body, type);
          assert.equal(res.status, status, name);
          assert.equal(await errorCode(res), code, name);
          const digestRes = await fetch(url(`/v2/${repo}/manifests/${sha256(body)}`), { method: 'HEAD' });
          assert.equal(digestRes.status, 404, `${name}: nothing stored`);
        }
        assert.equal((await fetch(url(`/v2/${repo}/manifests/bad`))).status, 404);
        const digestMismatch = await putManifest(repo, sha256('other'), manifestFor(config, []));
        assert.equal(await errorCode(digestMismatch), 'DIGEST_INVALID');
        const badTag = await putManifest(repo, '-tag', manifestFor(config, []));
        assert.equal(badTag.status, 400);
      });

      test('a chunk shorter than its Content-Range is refused; a blob whose bytes vanished is a clean 404', async () => {
        const start = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
        const stream = new ReadableStream({
          start(controller) {
            controller.enqueue(new Uint8Array(10));
            controller.close();
          },
        });
        const chunk = await fetch(new URL(start.headers.get('location')!, arca.url), {
          method: 'PATCH',
          headers: { 'Content-Range': '0-99' },
          body: stream,
          duplex: 'half',
        } as RequestInit);
        assert.equal(chunk.status, 400);
        assert.equal(await errorCode(chunk), 'SIZE_INVALID');

        const data = randomBytes(3000);
        const digest = await pushBlob(repo, data);
        await arca.deleteStored(`blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}`);
        const gone = await fetch(url(`/v2/${repo}/blobs/${digest}`));
        assert.equal(gone.status, 404);
        assert.equal(await errorCode(gone), 'BLOB_UNKNOWN');
      });

      test('unknown things are 404 with their codes; wrong methods are 405', async () => {
        assert.equal(await errorCode(await fetch(url(`/v2/${repo}/blobs/${sha256('x')}`))), 'BLOB_UNKNOWN');
        assert.equal(await errorCode(await fetch(url(`/v2/${repo}/manifests/nope`))), 'MANIFEST_UNKNOWN');
        assert.equal(await errorCode(await fetch(url('/v2/never/pushed/tags/list'))), 'NAME_UNKNOWN');
        const wrong = await fetch(url(`/v2/${repo}/tags/list`), { method: 'DELETE' });
        assert.equal(wrong.status, 405);
        assert.equal(await errorCode(wrong), 'UNSUPPORTED');
      });
    });
  });
}
