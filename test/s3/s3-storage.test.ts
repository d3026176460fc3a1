import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { loadConfig, type S3StorageConfig } from '../../src/config/index.js';
import {
  StorageConflict,
  StorageNotFound,
  createDriver,
  type StorageDriver,
  type StorageOptions,
} from '../../src/storage/index.js';
import { apiCall, type Answer } from '../helpers/api-client.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import { freePort } from '../helpers/ports.js';

const MiB = 1024 * 1024;

let gw: CephRgw;
let admin: S3Client;
const drivers: StorageDriver[] = [];

before(async () => {
  gw = await sharedCephRgw();
  admin = gw.client();
  process.stderr.write(`ceph rgw started in ${gw.startMs} ms\n`);
});

after(async () => {
  for (const d of drivers) d.close?.();
  admin?.destroy();
  await stopSharedCephRgw();
});

/** registry:2's variables for a bucket on the gateway, read by Arca's own config loader. */
function s3Config(bucket: string, env: Record<string, string> = {}): S3StorageConfig {
  const config = loadConfig({
    env: {
      REGISTRY_STORAGE: 's3',
      REGISTRY_STORAGE_S3_BUCKET: bucket,
      REGISTRY_STORAGE_S3_ACCESSKEY: gw.accessKey,
      REGISTRY_STORAGE_S3_SECRETKEY: gw.secretKey,
      REGISTRY_STORAGE_S3_REGION: gw.region,
      REGISTRY_STORAGE_S3_REGIONENDPOINT: gw.endpoint,
      REGISTRY_STORAGE_S3_SECURE: 'true',
      REGISTRY_STORAGE_S3_V4AUTH: 'true',
      REGISTRY_STORAGE_S3_CHUNKSIZE: String(5 * MiB),
      REGISTRY_STORAGE_S3_ROOTDIRECTORY: '/arca',
      ...env,
    },
  });
  assert.ok(config.storage.s3);
  return config.storage.s3;
}

function driverFor(config: S3StorageConfig, options: StorageOptions = {}): StorageDriver {
  const d = createDriver({ s3: config }, { httpsAgent: gw.httpsAgent(), ...options });
  drivers.push(d);
  return d;
}

async function freshBucket(
  env: Record<string, string> = {},
): Promise<{ bucket: string; driver: StorageDriver }> {
  const bucket = bucketName();
  await gw.createBucket(bucket);
  return { bucket, driver: driverFor(s3Config(bucket, env)) };
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of stream as AsyncIterable<Buffer>) hash.update(c);
  return hash.digest('hex');
}

/** Deterministic bytes: block `i` of 1 MiB (or less at the end) of a blob. */
function block(seed: string, i: number, size = MiB): Buffer {
  return fillBlock(Buffer.alloc(size), seed, i);
}

/** `block` written into `b`. */
function fillBlock(b: Buffer, seed: string, i: number): Buffer {
  const h = createHash('sha256').update(`${seed}:${i}`).digest();
  for (let at = 0; at < b.length; at += h.length) h.copy(b, at);
  if (b.length >= 8) b.writeUInt32BE(i, 0);
  return b;
}

async function multipartUploads(bucket: string): Promise<number> {
  const res = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return res.Uploads?.length ?? 0;
}

async function objectsUnder(bucket: string, prefix: string): Promise<string[]> {
  const res = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key ?? '');
}

/** A GET of a presigned URL on the gateway (trusting its CA). */
const httpsGet = (url: string): Promise<Answer> => apiCall(url, 'GET', url, { agent: gw.httpsAgent() });

async function appendAll(driver: StorageDriver, key: string, blocks: Buffer[], from = 0): Promise<number> {
  let offset = from;
  for (const b of blocks) offset = await driver.uploads.append(key, offset, Readable.from([b]));
  return offset;
}

describe('S3 driver on Ceph RGW', () => {
  test('a large blob in 1 MiB appends and one long stream: memory stays bounded', async () => {
    const total = Number(process.env.ARCA_TEST_S3_BIG_MIB ?? 320);
    const { driver, bucket } = await freshBucket();
    await driver.uploads.start('big');
    const hash = createHash('sha256');
    // Blocks rewritten in a small pool, so the test's own garbage does not count as the driver's
    // memory (a block is copied into the part buffer before the fourth one after it is made).
    const pool = Array.from({ length: 4 }, () => Buffer.alloc(MiB));
    const gen = function* (from: number, to: number) {
      for (let i = from; i < to; i++) {
        const b = fillBlock(pool[i % pool.length]!, 'big', i);
        hash.update(b);
        yield b;
      }
    };
    // First in the file, so the process has not yet grown its heap for other tests.
    const baseline = process.memoryUsage();
    let peak = baseline.rss;
    let peakBuffers = baseline.arrayBuffers;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.rss);
      peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
    }, 10);
    const started = Date.now();
    try {
      // The first 40 MiB as separate 1 MiB PATCH-like appends, the rest as one stream of 1 MiB chunks.
      let offset = 0;
      for (const b of gen(0, 40)) offset = await driver.uploads.append('big', offset, Readable.from([b]));
      offset = await driver.uploads.append(
        'big',
        offset,
        Readable.from(gen(40, total), { objectMode: false }),
      );
      assert.equal(offset, total * MiB);
      await driver.uploads.commit('big', 'blobs/big');
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const growth = peak - baseline.rss;
    const mib = (n: number) => `${Math.round(n / MiB)} MiB`;
    process.stderr.write(
      `${total} MiB upload: ${seconds.toFixed(1)} s; RSS ${mib(baseline.rss)} -> peak ${mib(peak)} (+${mib(growth)}); ` +
        `buffers ${mib(baseline.arrayBuffers)} -> peak ${mib(peakBuffers)}\n`,
    );
    // Two part buffers (one being sent while the next fills), a few pooled ones, the SDK's and
    // TLS's own, and this process's hashing: well under the blob, whatever its size.
    assert.ok(growth < 128 * MiB, `RSS grew by ${Math.round(growth / MiB)} MiB for a ${total} MiB blob`);
    assert.deepEqual(await driver.stat('blobs/big'), { size: total * MiB });
    assert.equal(await sha256Of(await driver.read('blobs/big')), hash.digest('hex'));
    assert.equal(await multipartUploads(bucket), 0);
    await driver.delete('blobs/big');
  });

  test('put, stat, read with ranges, delete', async () => {
    const { driver, bucket } = await freshBucket();
    const small = randomBytes(1000);
    await driver.put('blobs/a', small);
    assert.deepEqual(await driver.stat('blobs/a'), { size: 1000 });
    assert.deepEqual(await bytesOf(await driver.read('blobs/a')), small);
    assert.deepEqual(
      await bytesOf(await driver.read('blobs/a', { start: 10, end: 19 })),
      small.subarray(10, 20),
    );
    assert.equal(await driver.stat('blobs/missing'), null);
    await assert.rejects(driver.read('blobs/missing'), StorageNotFound);

    // A stream of unknown length: below one part a single PUT, above it a multipart upload.
    const streamed = randomBytes(3 * MiB);
    await driver.put('blobs/b', Readable.from([streamed.subarray(0, MiB), streamed.subarray(MiB)]));
    assert.deepEqual(await bytesOf(await driver.read('blobs/b')), streamed);
    const big = Array.from({ length: 12 }, (_, i) => block('put', i));
    await driver.put('blobs/c', Readable.from(big));
    assert.deepEqual(await driver.stat('blobs/c'), { size: 12 * MiB });
    assert.equal(
      await sha256Of(await driver.read('blobs/c')),
      createHash('sha256').update(Buffer.concat(big)).digest('hex'),
    );
    const range = await bytesOf(await driver.read('blobs/c', { start: 5 * MiB - 3, end: 5 * MiB + 2 }));
    assert.deepEqual(range, Buffer.concat(big).subarray(5 * MiB - 3, 5 * MiB + 3));
    // Exactly one part's worth.
    await driver.put('blobs/d', Readable.from([block('d', 0, 5 * MiB)]));
    assert.deepEqual(await driver.stat('blobs/d'), { size: 5 * MiB });

    // Keys live under the root directory.
    assert.ok((await objectsUnder(bucket, 'arca/blobs/')).includes('arca/blobs/a'));
    await driver.delete('blobs/a');
    await driver.delete('blobs/a');
    assert.equal(await driver.stat('blobs/a'), null);
    assert.equal(await multipartUploads(bucket), 0);
  });

  test('list pages through more than 1,000 keys and stays inside its prefix', async () => {
    const { driver } = await freshBucket();
    const names = Array.from({ length: 1100 }, (_, i) => `many/k${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((n) => driver.put(n, Buffer.from(n))));
    }
    await driver.put('manyx/other', Buffer.from('x'));
    const listed: string[] = [];
    for await (const p of driver.list('many')) listed.push(p);
    assert.deepEqual(listed.sort(), names);
  });

  test('1 MiB appends cross part boundaries; commit makes the blob and leaves nothing behind', async () => {
    const { driver, bucket } = await freshBucket();
    await driver.uploads.start('u1');
    assert.equal(await driver.uploads.size('u1'), 0);
    const blocks = Array.from({ length: 13 }, (_, i) => block('u1', i));
    let offset = 0;
    for (const b of blocks) {
      offset = await driver.uploads.append('u1', offset, Readable.from([b]));
      assert.equal(await driver.uploads.size('u1'), offset);
    }
    assert.equal(offset, 13 * MiB);
    // Two 5 MiB parts in the multipart upload, the last 3 MiB as tail fragments.
    const mpu = await admin.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'arca/_uploads/u1/' }),
    );
    assert.equal(mpu.Uploads?.length, 1);
    const upload = mpu.Uploads![0]!;
    const parts = await admin.send(
      new ListPartsCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
    );
    assert.deepEqual(
      parts.Parts?.map((p) => p.Size),
      [5 * MiB, 5 * MiB],
    );
    const tail = (await objectsUnder(bucket, 'arca/_uploads/u1/tail/')).length;
    assert.equal(tail, 3);

    await assert.rejects(driver.uploads.append('u1', 5, Readable.from([Buffer.from('x')])), StorageConflict);
    await driver.uploads.commit('u1', 'blobs/u1');
    assert.deepEqual(await driver.stat('blobs/u1'), { size: 13 * MiB });
    assert.deepEqual(await bytesOf(await driver.read('blobs/u1')), Buffer.concat(blocks));
    assert.equal(await driver.uploads.size('u1'), null);
    assert.equal(await multipartUploads(bucket), 0);
    assert.deepEqual(await objectsUnder(bucket, 'arca/_uploads/'), []);
  });

  test('chunks announced at a part size or less become one part each; two drivers append in turn', async () => {
    const tenMiB = { REGISTRY_STORAGE_S3_CHUNKSIZE: String(10 * MiB) };
    const { driver: first, bucket } = await freshBucket(tenMiB);
    const second = driverFor(s3Config(bucket, tenMiB));
    const chunk = 6 * MiB;
    const blocks = Array.from({ length: 5 }, (_, i) => block('hint', i, chunk));
    await first.uploads.start('h');
    let offset = 0;
    for (const [i, b] of blocks.slice(0, 4).entries()) {
      // The drivers take turns, as replicas behind a load balancer would.
      const driver = i % 2 === 0 ? first : second;
      offset = await driver.uploads.append('h', offset, Readable.from([b]), b.length);
    }
    const mpu = await admin.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'arca/_uploads/h/' }),
    );
    const upload = mpu.Uploads![0]!;
    const parts = await admin.send(
      new ListPartsCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
    );
    assert.deepEqual(
      parts.Parts?.map((p) => p.Size),
      [chunk, chunk, chunk, chunk],
      'one part per chunk',
    );
    assert.deepEqual(await objectsUnder(bucket, 'arca/_uploads/h/tail/'), [], 'no tail to fold');
    // A last chunk of another size is a fragment, and the last part at commit.
    const last = block('hint', 9, 1000);
    offset = await first.uploads.append('h', offset, Readable.from([blocks[4]!, last]), chunk + 1000);
    assert.equal(await second.uploads.size('h'), 5 * chunk + 1000);
    await second.uploads.commit('h', 'blobs/h');
    assert.deepEqual(await bytesOf(await first.read('blobs/h')), Buffer.concat([...blocks, last]));
    assert.equal(await multipartUploads(bucket), 0);
    assert.deepEqual(await objectsUnder(bucket, 'arca/_uploads/'), []);
  });

  test('small uploads: empty, one fragment, several fragments', async () => {
    const { driver, bucket } = await freshBucket();
    await driver.uploads.start('e');
    await driver.uploads.commit('e', 'blobs/e');
    assert.deepEqual(await driver.stat('blobs/e'), { size: 0 });

    await driver.uploads.start('one');
    await appendAll(driver, 'one', [Buffer.from('hello')]);
    await driver.uploads.commit('one', 'blobs/one');
    assert.equal((await bytesOf(await driver.read('blobs/one'))).toString(), 'hello');

    await driver.uploads.start('few');
    const pieces = [randomBytes(1000), randomBytes(MiB), randomBytes(7)];
    await appendAll(driver, 'few', pieces);
    await driver.uploads.commit('few', 'blobs/few');
    assert.deepEqual(await bytesOf(await driver.read('blobs/few')), Buffer.concat(pieces));
    assert.deepEqual(await objectsUnder(bucket, 'arca/_uploads/'), []);
  });

  test('a new driver (a restarted server) continues an upload; readUpload gives exactly its bytes', async () => {
    const { bucket } = await freshBucket();
    const config = s3Config(bucket);
    const first = driverFor(config);
    await first.uploads.start('r');
    const blocks = Array.from({ length: 19 }, (_, i) => block('r', i));
    await appendAll(first, 'r', blocks.slice(0, 7));

    const second = driverFor(config);
    assert.equal(await second.uploads.size('r'), 7 * MiB);
    assert.deepEqual(await bytesOf(await second.uploads.read('r')), Buffer.concat(blocks.slice(0, 7)));
    // Appending after readUpload starts a new multipart upload from server-side copies.
    const at = await appendAll(second, 'r', blocks.slice(7, 13), 7 * MiB);
    assert.equal(at, 13 * MiB);

    const third = driverFor(config);
    assert.equal(await third.uploads.size('r'), 13 * MiB);
    assert.deepEqual(await bytesOf(await third.uploads.read('r')), Buffer.concat(blocks.slice(0, 13)));
    // Reading twice in a row (no append between) is fine too.
    assert.deepEqual(await bytesOf(await third.uploads.read('r')), Buffer.concat(blocks.slice(0, 13)));
    // One append that is not a whole number of MiB, then commit straight after a read.
    await third.uploads.append('r', 13 * MiB, Readable.from(blocks.slice(13)));
    const fourth = driverFor(config);
    assert.equal(await fourth.uploads.size('r'), 19 * MiB);
    assert.equal(
      await sha256Of(await fourth.uploads.read('r')),
      createHash('sha256').update(Buffer.concat(blocks)).digest('hex'),
    );
    await fourth.uploads.commit('r', 'blobs/r');
    assert.deepEqual(await bytesOf(await first.read('blobs/r')), Buffer.concat(blocks));
    assert.equal(await multipartUploads(bucket), 0);
    assert.deepEqual(await objectsUnder(bucket, 'arca/_uploads/'), []);
  });

  test('states a crash between two requests leaves are read correctly', async () => {
    const { driver, bucket } = await freshBucket();
    const prefix = 'arca/_uploads/c/';
    await driver.uploads.start('c');
    const blocks = Array.from({ length: 12 }, (_, i) => block('c', i));
    await appendAll(driver, 'c', blocks.slice(0, 7));
    const mpu = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
    const live = mpu.Uploads![0]!;

    // A fragment already folded into part 1, not yet deleted.
    await admin.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}tail/0000000000000000`, Body: blocks[0] }),
    );
    // A short part 2: the tail sent as the last part by a commit that did not complete.
    await admin.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: live.Key,
        UploadId: live.UploadId,
        PartNumber: 2,
        Body: Buffer.concat(blocks.slice(5, 7)),
      }),
    );
    // A multipart upload created just before a crash, before its marker was written.
    await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${prefix}data` }));

    const restarted = driverFor(s3Config(bucket));
    assert.equal(await restarted.uploads.size('c'), 7 * MiB);
    assert.deepEqual(await bytesOf(await restarted.uploads.read('c')), Buffer.concat(blocks.slice(0, 7)));
    await appendAll(restarted, 'c', blocks.slice(7), 7 * MiB);
    assert.equal(await restarted.uploads.size('c'), 12 * MiB);
    await restarted.uploads.commit('c', 'blobs/c');
    assert.deepEqual(await bytesOf(await restarted.read('blobs/c')), Buffer.concat(blocks));
    assert.equal(await multipartUploads(bucket), 0);
    assert.deepEqual(await objectsUnder(bucket, prefix), []);

    // An interrupted commit, then a read (which completes the short part too), then the commit again.
    await driver.uploads.start('d');
    await appendAll(driver, 'd', blocks.slice(0, 7));
    const d = (
      await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'arca/_uploads/d/' }))
    ).Uploads![0]!;
    await admin.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: d.Key,
        UploadId: d.UploadId,
        PartNumber: 2,
        Body: Buffer.concat(blocks.slice(5, 7)),
      }),
    );
    const again = driverFor(s3Config(bucket));
    assert.deepEqual(await bytesOf(await again.uploads.read('d')), Buffer.concat(blocks.slice(0, 7)));
    assert.equal(await again.uploads.size('d'), 7 * MiB);
    assert.deepEqual(await bytesOf(await again.uploads.read('d')), Buffer.concat(blocks.slice(0, 7)));
    await again.uploads.commit('d', 'blobs/d');
    assert.deepEqual(await bytesOf(await again.read('blobs/d')), Buffer.concat(blocks.slice(0, 7)));
    assert.equal(await multipartUploads(bucket), 0);
    assert.deepEqual(await objectsUnder(bucket, 'arca/_uploads/'), []);
  });

  test('a stream that fails midway keeps the bytes that arrived', async () => {
    const { driver } = await freshBucket();
    await driver.uploads.start('f');
    const failing = new Readable({ read() {} });
    const appending = driver.uploads.append('f', 0, failing);
    failing.push(block('f', 0));
    failing.push(block('f', 1));
    // Fail once the driver has taken both blocks (after loading the upload's state).
    for (let i = 0; i < 500 && failing.readableLength > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(failing.readableLength, 0);
    failing.destroy(new Error('client went away'));
    await assert.rejects(appending, /client went away/);
    assert.equal(await driver.uploads.size('f'), 2 * MiB);
    await driver.uploads.abort('f');
  });

  test('abort removes the multipart upload and every fragment; listUploads reports modification times', async () => {
    const { driver, bucket } = await freshBucket();
    const before = Date.now() - 2_000;
    await driver.uploads.start('a1');
    await driver.uploads.start('a2');
    await appendAll(
      driver,
      'a1',
      Array.from({ length: 7 }, (_, i) => block('a1', i)),
    );
    const listed = new Map<string, Date>();
    for await (const u of driver.uploads.list()) listed.set(u.key, u.modified);
    assert.deepEqual([...listed.keys()].sort(), ['a1', 'a2']);
    for (const m of listed.values()) assert.ok(m.getTime() >= before, `modified ${m.toISOString()}`);

    assert.equal(await multipartUploads(bucket), 1);
    await driver.uploads.abort('a1');
    await driver.uploads.abort('a2');
    await driver.uploads.abort('never-started');
    assert.equal(await multipartUploads(bucket), 0);
    assert.deepEqual(await objectsUnder(bucket, 'arca/_uploads/'), []);
    assert.equal(await driver.uploads.size('a1'), null);
    await assert.rejects(driver.uploads.append('a1', 0, Readable.from([Buffer.from('x')])), StorageNotFound);
  });

  test('presigned URLs can be fetched, and expire', async () => {
    const { bucket } = await freshBucket();
    const config = s3Config(bucket);
    const driver = driverFor(config);
    const body = randomBytes(4096);
    await driver.put('blobs/p', body);
    const url = await driver.redirectURL?.('blobs/p');
    assert.ok(url);
    assert.match(url, /X-Amz-Expires=1200/);
    const ok = await httpsGet(url);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.bytes, body);

    // X-Amz-Date has whole seconds, so a URL may lose up to one second of its life at once.
    const short = driverFor(config, { redirectExpirySeconds: 3 });
    const expiring = await short.redirectURL?.('blobs/p');
    assert.ok(expiring);
    assert.equal((await httpsGet(expiring)).status, 200);
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal((await httpsGet(expiring)).status, 403);
  });

  test('ping names what is wrong: credentials, bucket, endpoint, TLS', async () => {
    const { bucket, driver } = await freshBucket();
    await driver.ping();

    const wrongSecret = driverFor(s3Config(bucket, { REGISTRY_STORAGE_S3_SECRETKEY: 'not-the-secret' }));
    await assert.rejects(wrongSecret.ping(), /credentials refused .*SignatureDoesNotMatch/);
    const wrongKey = driverFor(s3Config(bucket, { REGISTRY_STORAGE_S3_ACCESSKEY: 'NOSUCHKEY' }));
    await assert.rejects(wrongKey.ping(), /credentials refused .*InvalidAccessKeyId/);
    const noBucket = driverFor(s3Config('no-such-bucket-here'));
    await assert.rejects(noBucket.ping(), /bucket "no-such-bucket-here" does not exist/);
    const closed = driverFor(
      s3Config(bucket, { REGISTRY_STORAGE_S3_REGIONENDPOINT: `https://127.0.0.1:${await freePort()}` }),
    );
    await assert.rejects(closed.ping(), /unreachable \(ECONNREFUSED\)/);
    // The process does not trust the test CA unless told to.
    const untrusted = createDriver({ s3: s3Config(bucket) });
    drivers.push(untrusted);
    await assert.rejects(untrusted.ping(), /not trusted/);
  });
});
