import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand } from '@aws-sdk/client-s3';
import { apiCall, apiClient, type ApiClient } from '../helpers/api-client.js';
import { ARCA_MAIN, startArca, type RunningArca } from '../helpers/arca.js';
import { digestOf, receivedBytes, writeTree } from '../helpers/asset-files.js';
import { sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import { dialects } from '../helpers/dialects.js';
import { exec } from '../helpers/exec.js';
import { makeTempDir } from '../helpers/tmp.js';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

after(stopSharedCephRgw);

/** The server's `arca_http_sent_bytes_total`. */
async function sentBytes(server: string): Promise<number> {
  const text = await (await fetch(`${server}/metrics`)).text();
  const m = /^arca_http_sent_bytes_total (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  if (!m?.[1]) throw new Error('no arca_http_sent_bytes_total in /metrics');
  return Number(m[1]);
}

for (const dialect of dialects()) {
  describe(`direct uploads to the bucket: presigned multipart (${dialect}, s3)`, () => {
    let arca: RunningArca;
    let rgw: CephRgw;
    let api: ApiClient;
    let bucket: string;
    const tmp = makeTempDir('arca-direct-uploads-');
    const base = '/api/v1/registries/default/browser-uploads';

    /** PUT bytes to a presigned URL of the bucket, as a browser or the CLI does: no credentials of ours. */
    const putTo = (url: string, data: Buffer) => {
      const u = new URL(url);
      return apiCall(u.origin, 'PUT', `${u.pathname}${u.search}`, {
        body: data,
        ca: readFileSync(rgw.caFile),
        timeoutMs: 30_000,
      });
    };
    const keys = async () => {
      const listed = await rgw.client().send(new ListObjectsV2Command({ Bucket: bucket }));
      return (listed.Contents ?? []).map((o) => o.Key as string);
    };

    before(async () => {
      rgw = await sharedCephRgw();
      arca = await startArca({
        dialect,
        storage: 's3',
        config: { storage: { redirect: { disable: false } } },
      });
      api = apiClient(arca.url);
      bucket = ((arca.config.storage as Record<string, unknown>).s3 as { bucket: string }).bucket;
    });
    after(async () => {
      await arca?.stop();
      await tmp.cleanup();
    });

    test('parts go to the bucket, are listed for a resume, and are verified and linked at completion', async () => {
      const data = Buffer.alloc(12 * MiB + 3);
      for (let i = 0; i + 4 <= data.length; i += 4096) data.writeUInt32BE(i, i);
      const digest = sha256(data);
      const received = await receivedBytes(arca.url);

      const started = await api.ok('POST', base, {
        repository: 'models/direct',
        size: data.length,
        part_size: 5 * MiB,
      });
      assert.equal(started.status, 201);
      assert.equal(started.body.part_size, 5 * MiB);
      assert.equal(started.body.part_count, 3);
      assert.equal(started.body.url, undefined);
      const id = started.body.id as string;
      const slice = (n: number) => data.subarray((n - 1) * 5 * MiB, Math.min(n * 5 * MiB, data.length));

      const first = await api.ok('POST', `${base}/${id}/parts`, {
        repository: 'models/direct',
        numbers: [1, 2],
      });
      const urls = first.body.urls as { number: number; url: string }[];
      assert.deepEqual(first.body.uploaded, []);
      assert.equal(new URL(urls[0]!.url).origin, rgw.endpoint);
      const put1 = await putTo(urls[0]!.url, slice(1));
      assert.equal(put1.status, 200, put1.text);
      assert.equal((await putTo(urls[1]!.url, slice(2))).status, 200);

      // A client resuming asks what the bucket holds: parts 1 and 2, with their ETags.
      const resumed = await api.ok('POST', `${base}/${id}/parts`, {
        repository: 'models/direct',
        numbers: [3],
      });
      const uploaded = resumed.body.uploaded as { number: number; size: number; etag: string }[];
      assert.deepEqual(
        uploaded.map((p) => [p.number, p.size]),
        [
          [1, 5 * MiB],
          [2, 5 * MiB],
        ],
      );
      assert.equal(uploaded[0]!.etag, put1.headers.get('etag'));
      const last = (resumed.body.urls as { url: string }[])[0]!.url;
      const put3 = await putTo(last, slice(3));
      assert.equal(put3.status, 200);

      // Bad completions change nothing: parts out of order, a size that is not what was sent.
      const parts = [
        ...uploaded.map((p) => ({ number: p.number, etag: p.etag })),
        { number: 3, etag: put3.headers.get('etag') },
      ];
      const disordered = await api.call('POST', `${base}/${id}/complete`, {
        json: { repository: 'models/direct', digest, parts: [parts[1], parts[0], parts[2]] },
      });
      assert.equal(disordered.status, 400);
      assert.equal(disordered.body.code, 'BLOB_UPLOAD_INVALID');

      const done = await api.call('POST', `${base}/${id}/complete`, {
        json: { repository: 'models/direct', digest, size: data.length, parts },
      });
      assert.equal(done.status, 201, done.text);
      assert.equal(done.body.size, data.length);
      assert.equal((await api.call('HEAD', `/v2/default/models/direct/blobs/${digest}`)).status, 200);
      assert.ok(!(await keys()).some((k) => k.includes('browser-uploads/')), 'the staging object is gone');
      const through = (await receivedBytes(arca.url)) - received;
      assert.ok(through < 64 * 1024, `Arca received ${through} bytes for a ${data.length}-byte upload`);

      // Completed: the id is spent.
      const again = await api.call('POST', `${base}/${id}/parts`, {
        json: { repository: 'models/direct', numbers: [] },
      });
      assert.equal(again.status, 404);
    });

    test('a digest or size that does not match what was uploaded is refused and nothing is linked', async () => {
      const data = Buffer.alloc(6 * MiB, 7);
      const claimed = sha256(Buffer.from('something else'));
      for (const [json, code] of [
        [{ digest: claimed }, 'DIGEST_INVALID'],
        [{ digest: sha256(data), size: data.length + 1 }, 'SIZE_INVALID'],
      ] as const) {
        const started = await api.ok('POST', base, {
          repository: 'models/refused',
          size: data.length,
          part_size: 5 * MiB,
        });
        const id = started.body.id as string;
        const got = await api.ok('POST', `${base}/${id}/parts`, {
          repository: 'models/refused',
          numbers: [1, 2],
        });
        for (const [i, u] of (got.body.urls as { url: string }[]).entries())
          assert.equal((await putTo(u.url, data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB))).status, 200);
        const refused = await api.call('POST', `${base}/${id}/complete`, {
          json: { repository: 'models/refused', parts: [], ...json },
        });
        assert.equal(refused.status, 400, refused.text);
        assert.equal(refused.body.code, code);
        assert.equal((await api.call('HEAD', `/v2/default/models/refused/blobs/${json.digest}`)).status, 404);
        assert.equal(
          (await api.call('HEAD', `/v2/default/models/refused/blobs/${sha256(data)}`)).status,
          404,
        );
        assert.ok(!(await keys()).some((k) => k.includes('browser-uploads/')), 'the refused bytes are gone');
      }
    });

    test('bad requests: part numbers, ids, repositories, part sizes', async () => {
      const single = await api.ok('POST', base, { repository: 'models/bad', size: 20 * MiB });
      assert.match(single.body.url as string, /X-Amz-Signature=/, 'one part: a single presigned PUT');
      const started = await api.ok('POST', base, {
        repository: 'models/bad',
        size: 20 * MiB,
        part_size: 5 * MiB,
      });
      const id = started.body.id as string;
      const call = (path: string, json: unknown) => api.call('POST', `${base}${path}`, { json });
      assert.equal((await call(`/${id}/parts`, { repository: 'models/bad', numbers: [0] })).status, 400);
      assert.equal((await call(`/${id}/parts`, { repository: 'models/bad', numbers: [10_001] })).status, 400);
      assert.equal((await call(`/${id}/parts`, { repository: 'models/bad', numbers: ['1'] })).status, 400);
      assert.equal((await call('/not-an-id/parts', { repository: 'models/bad', numbers: [1] })).status, 404);
      assert.equal((await call(`/${id}/parts`, { repository: '../x', numbers: [1] })).status, 400);
      assert.equal(
        (await call('', { repository: 'models/bad', size: 20 * MiB, part_size: 1024 })).status,
        400,
      );
      assert.equal((await call('', { repository: 'models/bad', size: -1 })).status, 400);
      const empty = await call(`/${id}/complete`, {
        repository: 'models/bad',
        digest: sha256(Buffer.alloc(0)),
        parts: [],
      });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.code, 'BLOB_UPLOAD_INVALID');
      const aborted = await api.call('DELETE', `${base}/${id}?repository=models/bad`);
      assert.equal(aborted.status, 204);
      const uploads = await rgw.client().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      assert.ok(!(uploads.Uploads ?? []).some((u) => u.Key?.includes(id)), 'the multipart upload is aborted');
    });

    test('arca model push sends straight to the bucket, resumes after SIGKILL; pull follows the redirect', async () => {
      const env = {
        ARCA_SERVER: arca.url,
        XDG_CACHE_HOME: join(tmp.path, 'cache'),
        ARCA_API_KEY: '',
        NODE_EXTRA_CA_CERTS: rgw.caFile,
      };
      const dir = join(tmp.path, 'model');
      const sizes = { 'weights.bin': 60 * MiB + 11, 'tokenizer.json': 3 * MiB, 'config.json': 400 };
      const digests = writeTree(dir, sizes);
      const total = Object.values(sizes).reduce((a, b) => a + b, 0);
      const args = ['model', 'push', dir, '-r', 'default', '--name', 'direct-cli', '--version', '1'];
      const partArgs = ['--chunk-size', '5', '--parallel', '1'];
      const received = await receivedBytes(arca.url);

      const child = spawn(process.execPath, [ARCA_MAIN, ...args, ...partArgs], {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      let held = 0;
      try {
        const deadline = Date.now() + 60_000;
        // Kill it once the bucket holds a part of the weights' multipart upload.
        while (held === 0) {
          assert.ok(Date.now() < deadline && child.exitCode === null, 'the push ended before it was killed');
          const open = await rgw.client().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
          for (const u of open.Uploads ?? []) {
            const parts = await rgw
              .client()
              .send(new ListPartsCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }))
              .catch(() => ({ Parts: [] }));
            held = Math.max(
              held,
              (parts.Parts ?? []).reduce((sum, p) => sum + (p.Size ?? 0), 0),
            );
          }
          if (held === 0) await sleep(20);
        }
      } finally {
        child.kill('SIGKILL');
        await exited;
      }

      const done = await exec(process.execPath, [ARCA_MAIN, ...args, ...partArgs, '-o', 'json'], {
        env,
        timeoutMs: 120_000,
      });
      assert.equal(done.code, 0, done.stderr);
      const transfer = (JSON.parse(done.stdout) as { transfer: { bytesSent: number } }).transfer;
      assert.ok(
        transfer.bytesSent <= total - held,
        `the re-run sent ${transfer.bytesSent} bytes; the bucket held ${held} of ${total} already`,
      );
      const through = (await receivedBytes(arca.url)) - received;
      assert.ok(through < 256 * 1024, `Arca received ${through} bytes of a ${total}-byte push`);
      assert.deepEqual(
        readdirSync(join(tmp.path, 'cache', 'arca', 'transfers')).filter((f) => f.startsWith('push-')),
        [],
        'no resume state left',
      );

      const sent = await sentBytes(arca.url);
      const out = join(tmp.path, 'out');
      const pulled = await exec(
        process.execPath,
        [ARCA_MAIN, 'model', 'pull', 'direct-cli:1', out, '-r', 'default', '--chunk-size', '8'],
        { env, timeoutMs: 120_000 },
      );
      assert.equal(pulled.code, 0, pulled.stderr);
      for (const [path, digest] of Object.entries(digests))
        assert.equal(digestOf(join(out, path)), digest, path);
      const served = (await sentBytes(arca.url)) - sent;
      assert.ok(
        served < 256 * 1024,
        `Arca sent ${served} bytes of a ${total}-byte pull: the bucket served the ranges`,
      );
    });
  });
}
