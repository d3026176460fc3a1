import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { parseS3Params } from '../../src/config/index.js';
import { AppError } from '../../src/errors/index.js';
import { blobPath, copyBlob } from '../../src/oci/index.js';
import { createDriver, type StorageDriver } from '../../src/storage/index.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const MiB = 1 << 20;
const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
/** Five parts of 5 MiB and a short one: more parts than are sent at once. */
const blob = Buffer.from(Buffer.alloc(27 * MiB + 11).map((_, i) => (i * 7) ^ (i >> 12)));

let gw: CephRgw;
let bucket: string;
let dir: TempDir;
let source: StorageDriver;
let target: StorageDriver;

before(async () => {
  gw = await sharedCephRgw();
  bucket = bucketName('copy-blob');
  await gw.createBucket(bucket);
  dir = makeTempDir('arca-copy-s3-src-');
  source = createDriver({ filesystem: { rootdirectory: dir.path } });
  const config = parseS3Params(gw.storageConfig(bucket, { chunksize: 5 * MiB }), 'storage.s3');
  target = createDriver({ s3: config }, { httpsAgent: gw.httpsAgent() });
});
after(async () => {
  target?.close?.();
  await gw?.deleteBucket(bucket).catch(() => {});
  await dir?.cleanup();
  await stopSharedCephRgw();
});

const openUploads = async () =>
  ((await gw.client().send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map(
    (u) => u.Key,
  );
const objectDigest = async (path: string) => {
  const key = [...(await gw.objects(bucket)).keys()].find((k) => k.endsWith(path));
  assert.ok(key, `${path} is in the bucket`);
  const hash = createHash('sha256');
  const body = (await gw.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable;
  for await (const chunk of body) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
};

test('copyBlob into a bucket: streamed straight to the content address in parts, verified; no staging objects, no upload left open', async () => {
  const digest = digestOf(blob);
  await source.put(blobPath(digest), blob);
  assert.equal(await copyBlob(source, target, digest, blob.length), 'streamed');
  assert.deepEqual(await target.stat(blobPath(digest)), { size: blob.length });
  assert.equal(await objectDigest(blobPath(digest)), digest);
  assert.deepEqual(
    [...(await gw.objects(bucket)).keys()].filter((k) => !k.endsWith(blobPath(digest))),
    [],
  );
  assert.deepEqual(await openUploads(), []);
  assert.equal(await copyBlob(source, target, digest, blob.length), 'present');
});

test('copyBlob into a bucket: bytes that are not the digest are refused before the upload completes; nothing at the address, no upload left open', async () => {
  const claimed = digestOf(Buffer.from('the bytes the digest names'));
  const tampered = Buffer.from(blob);
  tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1);
  await source.put(blobPath(claimed), tampered);
  await assert.rejects(copyBlob(source, target, claimed, tampered.length), (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'DIGEST_INVALID');
    return true;
  });
  assert.equal(await target.stat(blobPath(claimed)), null);
  assert.deepEqual(await openUploads(), []);
  // Too many bytes are refused as soon as they run past the size.
  await assert.rejects(copyBlob(source, target, claimed, 5 * MiB), AppError);
  assert.equal(await target.stat(blobPath(claimed)), null);
  assert.deepEqual(await openUploads(), []);
});

test('copyBlob into a bucket: the multipart upload an attempt killed midway left at the address is aborted by the next attempt', async () => {
  const data = blob.subarray(0, 12 * MiB);
  const digest = digestOf(data);
  await source.put(blobPath(digest), data);
  // What a killed attempt leaves: a multipart upload open at the blob's key, with a part in it.
  const path = blobPath(digest);
  const uploadId = await target.bucket!.startMultipart(path);
  const key = [...(await openUploads())][0]!;
  await gw.client().send(
    new UploadPartCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: 1,
      Body: data.subarray(0, 5 * MiB),
    }),
  );
  assert.deepEqual(await openUploads(), [key]);
  assert.equal(await copyBlob(source, target, digest, data.length), 'streamed');
  assert.equal(await objectDigest(path), digest);
  assert.deepEqual(await openUploads(), []);
});
