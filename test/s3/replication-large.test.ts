import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { blobPath } from '../../src/oci/index.js';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { apiClient } from '../helpers/api-client.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw } from '../helpers/ceph-rgw.js';
import { dialects } from '../helpers/dialects.js';
import { pushChunkedBlob } from '../helpers/oci-push.js';
import { makeTempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait-for.js';

after(() => stopSharedCephRgw());

/** 64 chunks of 16 MiB; ARCA_TEST_REPLICATION_CHUNKS makes it smaller for a quick run. */
const chunks = Number(process.env.ARCA_TEST_REPLICATION_CHUNKS ?? 64);
/** The 1 GiB part runs once, on the first dialect tested (the rest of replication runs on both). */
const dialect = dialects()[0]!;

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

interface LocationStatus {
  location: string;
  role: string;
  blobs: number;
  bytes: number;
  pending_copies: number;
}

interface JobView {
  id: string;
  state: string;
  attempts: number;
  payload: { location: string; digest: string };
}

test(`replication of a ${chunks * 16} MiB blob to a directory and a bucket; a server killed (kill -9) in the middle of the copies finishes them after its restart, with the right digest (${dialect})`, async (t) => {
  const gw = await sharedCephRgw();
  const east = makeTempDir('arca-repl-east-');
  const west = makeTempDir('arca-repl-west-');
  const bucket = bucketName('repl-big');
  await gw.createBucket(bucket);
  let arca: RunningArca | undefined;
  try {
    arca = await startArca({
      dialect,
      env: gw.serverEnv(),
      startTimeoutMs: 60_000,
      config: {
        locations: {
          east: { storage: { filesystem: { rootdirectory: east.path } } },
          west: { storage: { filesystem: { rootdirectory: west.path } } },
          cloud: { storage: { s3: gw.storageConfig(bucket) } },
        },
        jobs: { pollinterval: '100ms', lease: '2s', backoff: { base: '200ms', max: '1s' } },
        gc: { enabled: false },
      },
    });
    const api = apiClient(() => arca!.url);
    await api.ok('POST', '/api/v1/registries', {
      name: 'big',
      primary_location: 'east',
      locations: ['west', 'cloud'],
    });
    const jobs = async (state: string) =>
      (
        (await api.ok('GET', `/api/v1/jobs?kind=oci.replicate&state=${state}&n=100`)).body as {
          items: JobView[];
        }
      ).items;
    const status = async () =>
      ((await api.ok('GET', '/api/v1/registries/big')).body as { replication: LocationStatus[] }).replication;

    const pushStarted = Date.now();
    const blob = await pushChunkedBlob(arca.url, 'big/weights', 'replication-large', chunks);
    const pushed = Date.now();
    t.diagnostic(`push of ${blob.size} bytes: ${pushed - pushStarted} ms`);

    // Both copies under way (a job running, the blob not yet at its address in west): kill -9.
    const running = await waitFor(
      () => jobs('running'),
      (j) => j.length > 0,
      { timeoutMs: 30_000 },
    );
    assert.ok(running.length > 0, 'a copy job started');
    await new Promise((r) => setTimeout(r, 300));
    const unfinished = (await status()).filter((l) => l.role === 'additional' && l.pending_copies > 0);
    assert.ok(unfinished.length > 0, 'killed while a copy was under way');
    const killedDuring = new Set(unfinished.map((l) => l.location));
    arca.kill('SIGKILL');
    t.diagnostic(
      `killed ${Date.now() - pushed} ms after the push, copies to ${[...killedDuring].join(', ')} unfinished`,
    );

    arca = await arca.restart();
    const done = await waitFor(status, (s) => s.every((l) => l.pending_copies === 0 && l.blobs === 1), {
      timeoutMs: 150_000,
      intervalMs: 200,
    });
    assert.ok(
      done.every((l) => l.pending_copies === 0 && l.blobs === 1 && l.bytes === blob.size),
      JSON.stringify(done),
    );
    t.diagnostic(`replication lag of the blob, kill and restart included: ${Date.now() - pushed} ms`);

    // The copies that were under way were claimed again once the killed process's lease expired.
    const finished = await jobs('done');
    assert.equal(finished.length, 2);
    for (const job of finished) {
      if (killedDuring.has(job.payload.location)) assert.ok(job.attempts >= 2, JSON.stringify(job));
    }
    // The bytes in both locations have the blob's digest.
    const westFile = join(west.path, blobPath(blob.digest));
    assert.ok(existsSync(westFile));
    assert.equal(await sha256Of(createReadStream(westFile)), blob.digest);
    const key = [...(await gw.objects(bucket)).keys()].find((k) => k.endsWith(blobPath(blob.digest)));
    assert.ok(key, 'the blob is in the bucket');
    const object = await gw.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(await sha256Of(object.Body as Readable), blob.digest);
    // Nothing of the interrupted copies is left in the bucket but the blob (staging parts dropped).
    const leftovers = [...(await gw.objects(bucket)).keys()].filter((k) => k.includes('replica-'));
    assert.deepEqual(leftovers, []);
    // Nor a multipart upload of a killed attempt, at the blob's address or anywhere else.
    const open = await gw.client().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.deepEqual(
      (open.Uploads ?? []).map((u) => u.Key),
      [],
    );
  } finally {
    await arca?.stop();
    await gw.deleteBucket(bucket).catch(() => {});
    await east.cleanup();
    await west.cleanup();
  }
});
