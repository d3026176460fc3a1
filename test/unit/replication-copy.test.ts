import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyBlob } from '../../src/oci/index.js';
import { createDriver, type StorageDriver } from '../../src/storage/index.js';
import { AppError } from '../../src/errors/index.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const pathOf = (digest: string) => {
  const hex = digest.slice('sha256:'.length);
  return `blobs/sha256/${hex.slice(0, 2)}/${hex}`;
};

let dirs: TempDir[] = [];
let source: StorageDriver;
let target: StorageDriver;

before(() => {
  dirs = [makeTempDir('arca-copy-src-'), makeTempDir('arca-copy-dst-')];
  source = createDriver({ filesystem: { rootdirectory: dirs[0]!.path } });
  target = createDriver({ filesystem: { rootdirectory: dirs[1]!.path } });
});
after(async () => {
  for (const d of dirs) await d.cleanup();
});

const uploadsOf = async (driver: StorageDriver) => {
  const keys = [];
  for await (const u of driver.uploads.list()) keys.push(u.key);
  return keys;
};

test('copyBlob: streams a blob to another store and verifies it; a second copy finds it there', async () => {
  const data = Buffer.alloc(3 * 1024 * 1024 + 7, 9);
  const digest = digestOf(data);
  await source.put(pathOf(digest), data);
  assert.equal(await copyBlob(source, target, digest, data.length), 'streamed');
  assert.deepEqual(await target.stat(pathOf(digest)), { size: data.length });
  assert.equal(await copyBlob(source, target, digest, data.length), 'present');
  assert.deepEqual(await uploadsOf(target), []);
});

test('copyBlob: a source whose bytes do not match the digest is refused; nothing lands at the address, no upload is left', async () => {
  const claimed = digestOf(Buffer.from('the real bytes'));
  await source.put(pathOf(claimed), Buffer.from('tampered bytes'));
  await assert.rejects(copyBlob(source, target, claimed, 14), (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'DIGEST_INVALID');
    return true;
  });
  assert.equal(await target.stat(pathOf(claimed)), null);
  assert.deepEqual(await uploadsOf(target), []);
  // A missing source, and a digest that is no digest, are errors too.
  const missing = digestOf(Buffer.from('nowhere'));
  await assert.rejects(copyBlob(source, target, missing, 7));
  assert.equal(await target.stat(pathOf(missing)), null);
  await assert.rejects(copyBlob(source, target, 'sha256:../../etc', 1), AppError);
});

test('copyBlob: an aborted copy stops, leaving nothing at the address', async () => {
  const data = Buffer.alloc(8 * 1024 * 1024, 5);
  const digest = digestOf(data);
  await source.put(pathOf(digest), data);
  const abort = new AbortController();
  abort.abort(new Error('the server is stopping'));
  await assert.rejects(copyBlob(source, target, digest, data.length, abort.signal));
  assert.equal(await target.stat(pathOf(digest)), null);
});
