import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { openDatabase } from '../../src/db/index.js';
import { Distribution, blobPath } from '../../src/oci/index.js';
import { singleStore } from '../helpers/single-store.js';
import { commitStaged, type StagedUpload } from '../../src/oci/commit-staged.js';
import {
  CheckedStorage,
  FilesystemDriver,
  createDriver,
  type StorageDriver,
} from '../../src/storage/index.js';
import { withTempDir } from '../helpers/tmp.js';

const digestOf = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/**
 * A filesystem store that can presign: the "URL" is the staging path, which the test writes to as
 * the browser would. Enough to drive presigned uploads without an object store.
 */
const noMultipart = async (): Promise<never> => {
  throw new Error('multipart uploads are tested on Ceph RGW');
};

function presigningStore(root: string): StorageDriver {
  const bucket = {
    presignPut: async (path: string) => path,
    ensureCors: async () => {},
    checkCors: async () => null,
    startMultipart: noMultipart,
    findMultipart: noMultipart,
    presignPart: noMultipart,
    listParts: noMultipart,
    completeMultipart: noMultipart,
    abortMultipart: noMultipart,
  };
  return new CheckedStorage(Object.assign(new FilesystemDriver(root), { bucket }));
}

async function withRegistry(
  fn: (oci: Distribution, driver: StorageDriver, stored: (path: string) => Promise<boolean>) => Promise<void>,
) {
  await withTempDir(async (dir) => {
    const meta = await openDatabase('sqlite::memory:');
    try {
      const driver = presigningStore(dir);
      const oci = new Distribution(meta, singleStore(driver));
      await fn(oci, driver, async (path) => (await driver.stat(path)) !== null);
    } finally {
      await meta.close();
    }
  });
}

test('upload 3: a /v2 upload and a presigned upload are committed by the same step', async () => {
  await withRegistry(async (oci, driver, stored) => {
    const pushed = Buffer.from('layer bytes through /v2');
    await oci.uploads.monolithic('team/app', digestOf(pushed), Readable.from([pushed]));
    assert.equal(await oci.blobs.stat('team/app', digestOf(pushed)), pushed.length);

    const sent = Buffer.from('dataset shard sent by a browser');
    const wrong = await oci.presignedUploads.start('team/data');
    await driver.put(wrong.url as string, sent);
    await assert.rejects(oci.presignedUploads.complete('team/data', wrong.id, digestOf(pushed)), {
      code: 'DIGEST_INVALID',
    });
    assert.equal(await stored(wrong.url as string), false, 'a refused upload is discarded');
    await assert.rejects(oci.presignedUploads.complete('team/data', wrong.id, digestOf(sent)), {
      code: 'BLOB_UPLOAD_UNKNOWN',
    });

    const right = await oci.presignedUploads.start('team/data');
    await driver.put(right.url as string, sent);
    assert.equal(await oci.presignedUploads.complete('team/data', right.id, digestOf(sent)), sent.length);
    assert.equal(await oci.blobs.stat('team/data', digestOf(sent)), sent.length);
    assert.equal(await stored(blobPath(digestOf(sent))), true);
    assert.equal(await stored(right.url as string), false, 'the staging object is gone');

    // The same blob again, through the other door: already stored, so only linked.
    const again = await oci.presignedUploads.start('team/other');
    await driver.put(again.url as string, pushed);
    await oci.presignedUploads.complete('team/other', again.id, digestOf(pushed));
    assert.equal(await oci.blobs.stat('team/other', digestOf(pushed)), pushed.length);
    assert.equal(await stored(again.url as string), false);
  });
});

test('upload 3: commitStaged verifies, moves or drops, and links with the upload record retired in one transaction', async () => {
  await withTempDir(async (dir) => {
    const meta = await openDatabase('sqlite::memory:');
    try {
      const store = { location: 'default', driver: createDriver({ filesystem: { rootdirectory: dir } }) };
      const data = Buffer.from('bytes staged by some future kind of upload');
      const calls: string[] = [];
      const staged = (forgetFails = false): StagedUpload => ({
        measure: async () => ({ size: data.length, digest: digestOf(data) }),
        moveTo: async (path) => {
          calls.push('moveTo');
          await store.driver.put(path, data);
        },
        dropBytes: async () => void calls.push('dropBytes'),
        discard: async () => void calls.push('discard'),
        forget: async () => {
          calls.push('forget');
          if (forgetFails) throw new Error('record could not be retired');
        },
      });

      await assert.rejects(commitStaged(meta.db, store, 'a/b', staged(), `sha256:${'0'.repeat(64)}`), {
        code: 'DIGEST_INVALID',
      });
      assert.deepEqual(calls.splice(0), ['discard']);

      // The link and the record's retirement are one transaction: neither happens alone.
      await assert.rejects(commitStaged(meta.db, store, 'a/b', staged(true), digestOf(data)));
      assert.deepEqual(calls.splice(0), ['moveTo', 'forget']);
      const oci = new Distribution(meta, singleStore(store.driver));
      await assert.rejects(oci.blobs.stat('a/b', digestOf(data)), { code: 'BLOB_UNKNOWN' });
      assert.equal(await oci.hasRepository('a/b'), false);

      assert.equal(await commitStaged(meta.db, store, 'a/b', staged(), digestOf(data)), data.length);
      assert.deepEqual(calls.splice(0), ['dropBytes', 'forget'], 'already stored: bytes dropped, not moved');
      assert.equal(await oci.blobs.stat('a/b', digestOf(data)), data.length);
    } finally {
      await meta.close();
    }
  });
});
