/**
 * Replication lag: one Arca process (SQLite, default job settings) with a registry whose primary
 * location is a directory and whose additional locations are another directory on the same disk
 * and, unless BENCH_REPL_S3=0, a bucket on a Ceph RGW (TLS on loopback, data in RAM; started with
 * the tests' harness). A 1 GiB blob (BENCH_REPL_CHUNKS × 16 MiB PATCHes) is pushed to the primary;
 * from the moment the upload's PUT returned, GET /api/v1/registries/<r> is polled every 50 ms until
 * each additional location holds it with no copy pending: that is its lag. Arca's RSS is sampled
 * at each poll (it must not grow with the blob). Printed beside the machine's limits, measured after
 * the copies in the same run: `cp` of the blob file on this disk, Node's sha256 of it (every copy is
 * hashed on the way), and the file put into a new bucket of the same gateway with the AWS SDK alone
 * (multipart, BENCH_REPL_RAW_PARTS parts of 16 MiB at once, default 4): the S3 limit.
 *
 *   npm run build && node --import tsx bench/replication.ts
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { rssOf, startArca, type RunningArca } from '../test/helpers/arca.js';
import { apiClient } from '../test/helpers/api-client.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../test/helpers/ceph-rgw.js';
import { pushChunkedBlob } from '../test/helpers/oci-push.js';
import { makeTempDir } from '../test/helpers/tmp.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { MiB } from './content.js';
import { rawMultipartPut } from './raw-s3-put.js';
import { fmt } from './report.js';

const chunks = Number(process.env.BENCH_REPL_CHUNKS ?? 64);
const withS3 = process.env.BENCH_REPL_S3 !== '0';
const rawParts = Number(process.env.BENCH_REPL_RAW_PARTS ?? 4);

interface LocationStatus {
  location: string;
  role: string;
  blobs: number;
  bytes: number;
  pending_copies: number;
  last_error: string | null;
}

const storePath = (digest: string) => {
  const hex = digest.slice('sha256:'.length);
  return `blobs/sha256/${hex.slice(0, 2)}/${hex}`;
};

const work = makeTempDir('arca-bench-repl-');
let gw: CephRgw | undefined;
let bucket: string | undefined;
let arca: RunningArca | undefined;
try {
  const east = join(work.path, 'east');
  const locations: Record<string, unknown> = {
    east: { storage: { filesystem: { rootdirectory: east } } },
    west: { storage: { filesystem: { rootdirectory: join(work.path, 'west') } } },
  };
  if (withS3) {
    gw = await sharedCephRgw();
    bucket = bucketName('bench-repl');
    await gw.createBucket(bucket);
    locations.cloud = { storage: { s3: gw.storageConfig(bucket) } };
  }
  arca = await startArca({
    env: gw?.serverEnv() ?? {},
    startTimeoutMs: 60_000,
    config: { locations, gc: { enabled: false } },
  });
  const api = apiClient(arca.url);
  const additional = withS3 ? ['west', 'cloud'] : ['west'];
  await api.ok('POST', '/api/v1/registries', {
    name: 'big',
    primary_location: 'east',
    locations: additional,
  });
  const status = async () =>
    ((await api.ok('GET', '/api/v1/registries/big')).body as { replication: LocationStatus[] }).replication;

  const server = arca;
  const rssBefore = rssOf(server.pid);
  let rssPeak = rssBefore;
  const t0 = performance.now();
  const blob = await pushChunkedBlob(arca.url, 'big/weights', `bench-${Date.now()}`, chunks);
  const pushed = performance.now();
  const rssPushed = rssOf(server.pid);
  const lag: Record<string, number> = {};
  const last = await waitFor(
    async () => {
      rssPeak = Math.max(rssPeak, rssOf(server.pid));
      return status();
    },
    (seen) => {
      for (const l of seen) {
        const done = l.role === 'additional' && l.pending_copies === 0 && l.blobs >= 1;
        if (done && lag[l.location] === undefined) lag[l.location] = (performance.now() - pushed) / 1000;
      }
      return additional.every((name) => lag[name] !== undefined);
    },
    { timeoutMs: 600_000, intervalMs: 50 },
  );
  const missing = additional.filter((name) => lag[name] === undefined);
  if (missing.length > 0) throw new Error(`not replicated in time: ${JSON.stringify(last)}`);
  for (const l of last)
    if (l.bytes !== blob.size) throw new Error(`${l.location} holds ${l.bytes} bytes, not ${blob.size}`);

  // The same bytes copied by cp on this disk (the source just written, in the page cache, as for the copy job).
  const load = loadavg();
  const file = join(east, storePath(blob.digest));
  const t1 = performance.now();
  const cp = spawnSync('cp', [file, join(work.path, 'cp-probe')]);
  const cpSeconds = (performance.now() - t1) / 1000;
  if (cp.status !== 0) throw new Error(`cp: ${cp.stderr.toString()}`);
  const t2 = performance.now();
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  const shaSeconds = (performance.now() - t2) / 1000;
  if (`sha256:${hash.digest('hex')}` !== blob.digest) throw new Error('the blob file has another digest');
  let rawSeconds: number | undefined;
  if (gw && bucket) {
    const client = gw.client();
    const raw = bucketName('bench-raw');
    await gw.createBucket(raw);
    try {
      rawSeconds = await rawMultipartPut(client, raw, 'raw-probe', file, blob.size, {
        partSize: 16 * MiB,
        inFlight: rawParts,
      });
    } finally {
      client.destroy();
      await gw.deleteBucket(raw).catch(() => {});
    }
  }

  const mib = blob.size / MiB;
  console.log(`push of ${fmt(mib)} MiB in ${chunks} PATCHes: ${fmt((pushed - t0) / 1000)} s`);
  console.log(`\n| copy of a ${fmt(mib)} MiB blob | seconds after the push | MiB/s |`);
  console.log(`|---|---:|---:|`);
  for (const name of additional) {
    const kind = name === 'cloud' ? 'S3 bucket (Ceph RGW, TLS, loopback)' : 'filesystem, same disk';
    console.log(`| replication to ${name} (${kind}) | ${fmt(lag[name]!)} | ${fmt(mib / lag[name]!)} |`);
  }
  console.log(`| cp of the blob file on this disk (limit) | ${fmt(cpSeconds)} | ${fmt(mib / cpSeconds)} |`);
  console.log(`| sha256 of the blob file, Node (limit) | ${fmt(shaSeconds)} | ${fmt(mib / shaSeconds)} |`);
  if (rawSeconds !== undefined) {
    const what = `AWS SDK multipart put of the file, ${rawParts} × 16 MiB parts at once (S3 limit)`;
    console.log(`| ${what} | ${fmt(rawSeconds)} | ${fmt(mib / rawSeconds)} |`);
  }
  console.log(
    `\nArca RSS: ${fmt(rssBefore / MiB)} MiB before the push, ${fmt(rssPushed / MiB)} MiB after it, ${fmt(rssPeak / MiB)} MiB at most during the copies`,
  );
  console.log(
    `load average when the copies ended: ${load.map((l) => l.toFixed(2)).join(', ')} (${cpus().length} cores)`,
  );
} finally {
  await arca?.stop();
  if (gw && bucket) await gw.deleteBucket(bucket).catch(() => {});
  await stopSharedCephRgw();
  await work.cleanup();
}
