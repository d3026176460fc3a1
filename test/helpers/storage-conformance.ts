import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
  InvalidStoragePath,
  StorageConflict,
  StorageNotFound,
  type StorageDriver,
} from '../../src/storage/index.js';

const MiB = 1024 * 1024;

/** A driver for one test, and how to remove what it made (a temporary directory, a bucket). */
export interface ConformanceTarget {
  driver: StorageDriver;
  cleanup(): Promise<void>;
}

/** Paths every method must refuse before a backend sees them. */
export const invalidPaths = ['', '/abs', 'a//b', 'a/', '..', '../x', 'a/../b', '.', 'a/./b', 'a\0b', 'a b'];
/** Upload keys are one segment: these are refused too. */
export const invalidKeys = ['', 'a/b', '..', '.', 'a\0', '/a'];

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function listed(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const p of iterable) out.push(p);
  return out.sort();
}

async function uploadKeys(driver: StorageDriver): Promise<string[]> {
  const out: string[] = [];
  for await (const u of driver.uploads.list()) out.push(u.key);
  return out.sort();
}

/** Deterministic bytes: `count` pieces of `size`, generated one at a time (never the whole in memory). */
function* pieces(seed: string, count: number, size: number): Generator<Buffer> {
  for (let i = 0; i < count; i++) {
    const h = createHash('sha256').update(`${seed}:${i}`).digest();
    const b = Buffer.alloc(size);
    for (let at = 0; at < size; at += h.length) h.copy(b, at);
    yield b;
  }
}

function sha256OfPieces(seed: string, count: number, size: number): string {
  const hash = createHash('sha256');
  for (const p of pieces(seed, count, size)) hash.update(p);
  return hash.digest('hex');
}

/** The hash of a stream, and its largest chunk (a stream, not one buffer of everything). */
async function digestStream(stream: Readable): Promise<{ sha256: string; size: number; largest: number }> {
  const hash = createHash('sha256');
  let size = 0;
  let largest = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    hash.update(c);
    size += c.length;
    largest = Math.max(largest, c.length);
  }
  return { sha256: hash.digest('hex'), size, largest };
}

/**
 * The contract of `StorageDriver` (src/storage/driver.ts), as tests every driver must pass: objects,
 * listings, missing things, refused paths, resumable uploads, copies, and multi-MiB streams.
 * `fresh` gives each test its own empty driver.
 */
export function storageConformance(name: string, fresh: () => Promise<ConformanceTarget>): void {
  const it = (title: string, fn: (driver: StorageDriver) => Promise<void>) =>
    test(title, async () => {
      const target = await fresh();
      try {
        await fn(target.driver);
      } finally {
        await target.cleanup();
      }
    });

  describe(`storage contract: ${name}`, () => {
    it('objects: put, stat, read, ranges, overwrite, delete', async (driver) => {
      await driver.ping();
      const data = Buffer.from('0123456789abcdefghij');
      await driver.put('blobs/a', data);
      assert.deepEqual(await driver.stat('blobs/a'), { size: data.length });
      assert.deepEqual(await bytesOf(await driver.read('blobs/a')), data);
      assert.deepEqual(
        await bytesOf(await driver.read('blobs/a', { start: 3, end: 7 })),
        data.subarray(3, 8),
      );
      assert.deepEqual(await bytesOf(await driver.read('blobs/a', { start: 19, end: 19 })), Buffer.from('j'));
      if (driver.open) {
        const fd = await driver.open('blobs/a');
        assert.equal(fstatSync(fd).size, data.length);
        closeSync(fd);
      }
      if (driver.redirectURL) assert.match((await driver.redirectURL('blobs/a')) ?? '', /^https?:\/\//);

      await driver.put('blobs/a', Readable.from([Buffer.from('new '), Buffer.from('bytes')]));
      assert.deepEqual(await driver.stat('blobs/a'), { size: 9 });
      assert.equal((await bytesOf(await driver.read('blobs/a'))).toString(), 'new bytes');

      await driver.put('blobs/empty', Buffer.alloc(0));
      assert.deepEqual(await driver.stat('blobs/empty'), { size: 0 });
      assert.equal((await bytesOf(await driver.read('blobs/empty'))).length, 0);

      await driver.delete('blobs/a');
      assert.equal(await driver.stat('blobs/a'), null);
      await driver.delete('blobs/a'); // absent: no error
      assert.equal(await driver.stat('blobs'), null, 'a prefix is no object');
    });

    it('a put whose stream fails leaves no object', async (driver) => {
      const failing = new Readable({ read() {} });
      const putting = driver.put('blobs/broken', failing);
      failing.push(Buffer.alloc(1000, 1));
      setTimeout(() => failing.destroy(new Error('source failed')), 20);
      await assert.rejects(putting, /source failed/);
      assert.equal(await driver.stat('blobs/broken'), null);
      assert.deepEqual(await listed(driver.list('blobs')), []);
    });

    it('list: the objects under a prefix, nothing beside or above it', async (driver) => {
      await driver.put('dir/a', Buffer.from('a'));
      await driver.put('dir/sub/b', Buffer.from('b'));
      await driver.put('dirx/c', Buffer.from('c'));
      await driver.put('top', Buffer.from('t'));
      assert.deepEqual(await listed(driver.list('dir')), ['dir/a', 'dir/sub/b']);
      assert.deepEqual(await listed(driver.list('dir/sub')), ['dir/sub/b']);
      assert.deepEqual(await listed(driver.list('nothing')), []);
      assert.deepEqual(await listed(driver.list('top')), [], 'an object is no prefix');
    });

    it('missing objects and uploads: StorageNotFound naming them, or null where the method says so', async (driver) => {
      assert.equal(await driver.stat('blobs/missing'), null);
      await assert.rejects(driver.read('blobs/missing'), (err: Error) => {
        assert.ok(err instanceof StorageNotFound);
        assert.match(err.message, /blobs\/missing/);
        return true;
      });
      await assert.rejects(driver.read('blobs/missing', { start: 0, end: 1 }), StorageNotFound);
      if (driver.open) await assert.rejects(driver.open('blobs/missing'), StorageNotFound);
      await assert.rejects(driver.copy('blobs/missing', 'blobs/copy'), StorageNotFound);
      assert.equal(await driver.stat('blobs/copy'), null);
      assert.equal(await driver.uploads.size('nope'), null);
      await assert.rejects(driver.uploads.read('nope'), StorageNotFound);
      await assert.rejects(
        driver.uploads.append('nope', 0, Readable.from([Buffer.from('x')])),
        StorageNotFound,
      );
      await assert.rejects(driver.uploads.commit('nope', 'blobs/nope'), StorageNotFound);
      assert.equal(await driver.stat('blobs/nope'), null);
      await driver.uploads.abort('nope'); // absent: no error
      assert.deepEqual(await uploadKeys(driver), []);
    });

    it('invalid paths and upload keys are refused, and nothing is written', async (driver) => {
      await driver.put('ok/a', Buffer.from('a'));
      await driver.uploads.start('u');
      const refused = (p: Promise<unknown>) =>
        assert.rejects(p, (err: Error) => err instanceof InvalidStoragePath && /invalid/.test(err.message));
      for (const bad of invalidPaths) {
        await refused(driver.stat(bad));
        await refused(driver.read(bad));
        await refused(driver.put(bad, Buffer.from('x')));
        await refused(driver.put(bad, Readable.from([Buffer.from('x')])));
        await refused(driver.delete(bad));
        await refused(listed(driver.list(bad)));
        await refused(driver.copy('ok/a', bad));
        await refused(driver.copy(bad, 'ok/b'));
        await refused(driver.uploads.commit('u', bad));
        if (driver.open) await refused(driver.open(bad));
        if (driver.redirectURL) await refused(driver.redirectURL(bad));
        if (driver.bucket) await refused(driver.bucket.presignPut(bad, 60));
      }
      for (const bad of invalidKeys) {
        await refused(driver.uploads.start(bad));
        await refused(driver.uploads.size(bad));
        await refused(driver.uploads.append(bad, 0, Readable.from([Buffer.from('x')])));
        await refused(driver.uploads.read(bad));
        await refused(driver.uploads.commit(bad, 'ok/c'));
        await refused(driver.uploads.abort(bad));
      }
      await refused(driver.uploads.append('u', -1, Readable.from([Buffer.from('x')])));
      assert.deepEqual(await listed(driver.list('ok')), ['ok/a']);
      assert.deepEqual(await uploadKeys(driver), ['u']);
      assert.equal(await driver.uploads.size('u'), 0);
    });

    it('uploads: start, append at the offset, wrong offsets refused, size, read, commit, list', async (driver) => {
      const before = Date.now() - 5_000;
      await driver.uploads.start('up1');
      assert.equal(await driver.uploads.size('up1'), 0);
      assert.equal(await driver.uploads.append('up1', 0, Readable.from([Buffer.from('hello')])), 5);
      assert.equal(await driver.uploads.append('up1', 5, Readable.from([Buffer.from(' world')]), 6), 11);
      for (const wrong of [0, 3, 12]) {
        await assert.rejects(
          driver.uploads.append('up1', wrong, Readable.from([Buffer.from('!')])),
          StorageConflict,
        );
      }
      assert.equal(await driver.uploads.size('up1'), 11, 'a refused append writes nothing');
      assert.equal((await bytesOf(await driver.uploads.read('up1'))).toString(), 'hello world');

      await driver.uploads.start('up1'); // started again: its bytes stay
      assert.equal(await driver.uploads.size('up1'), 11);

      await driver.uploads.start('up2');
      const uploads = new Map<string, Date>();
      for await (const u of driver.uploads.list()) uploads.set(u.key, u.modified);
      assert.deepEqual([...uploads.keys()].sort(), ['up1', 'up2']);
      for (const modified of uploads.values()) assert.ok(modified.getTime() >= before);

      assert.equal(await driver.stat('blobs/up1'), null, 'not visible before commit');
      await driver.uploads.commit('up1', 'blobs/up1');
      assert.deepEqual(await driver.stat('blobs/up1'), { size: 11 });
      assert.equal((await bytesOf(await driver.read('blobs/up1'))).toString(), 'hello world');
      assert.equal(await driver.uploads.size('up1'), null, 'gone after commit');
      assert.deepEqual(await uploadKeys(driver), ['up2']);

      await driver.uploads.abort('up2');
      assert.equal(await driver.uploads.size('up2'), null);
      await assert.rejects(driver.uploads.read('up2'), StorageNotFound);
      assert.deepEqual(await uploadKeys(driver), []);
      assert.deepEqual(await listed(driver.list('blobs')), ['blobs/up1'], 'uploads are no objects');
    });

    it('commit: an empty upload, and over an existing object (replaced whole)', async (driver) => {
      await driver.uploads.start('empty');
      await driver.uploads.commit('empty', 'blobs/empty');
      assert.deepEqual(await driver.stat('blobs/empty'), { size: 0 });

      await driver.put('blobs/x', Buffer.from('the old object, longer than the new one'));
      await driver.uploads.start('x');
      await driver.uploads.append('x', 0, Readable.from([Buffer.from('new')]));
      await driver.uploads.commit('x', 'blobs/x');
      assert.equal((await bytesOf(await driver.read('blobs/x'))).toString(), 'new');
    });

    it('an append whose stream fails keeps what arrived; the upload resumes from its size', async (driver) => {
      const blocks = [...pieces('resume', 3, MiB)];
      const whole = Buffer.concat(blocks);
      await driver.uploads.start('r');
      const failing = new Readable({ read() {} });
      const appending = driver.uploads.append('r', 0, failing);
      failing.push(blocks[0]);
      failing.push(blocks[1]);
      // Fail once the driver has taken both blocks.
      for (let i = 0; i < 500 && failing.readableLength > 0; i++) await new Promise((r) => setTimeout(r, 20));
      failing.destroy(new Error('client went away'));
      await assert.rejects(appending, /client went away/);

      const size = await driver.uploads.size('r');
      assert.ok(size !== null && size <= 2 * MiB, `size ${size}`);
      assert.deepEqual(await bytesOf(await driver.uploads.read('r')), whole.subarray(0, size));
      assert.equal(
        await driver.uploads.append('r', size, Readable.from([whole.subarray(size)])),
        whole.length,
      );
      await driver.uploads.commit('r', 'blobs/r');
      assert.deepEqual(await bytesOf(await driver.read('blobs/r')), whole);
    });

    it('copy: the same bytes at a second path, independent of the first', async (driver) => {
      const data = Buffer.from('copied bytes');
      await driver.put('blobs/src', data);
      await driver.put('blobs/dst', Buffer.from('to be replaced'));
      await driver.copy('blobs/src', 'blobs/dst');
      await driver.copy('blobs/src', 'other/deep/dst');
      await driver.delete('blobs/src');
      assert.deepEqual(await bytesOf(await driver.read('blobs/dst')), data);
      assert.deepEqual(await bytesOf(await driver.read('other/deep/dst')), data);
    });

    it('objects and uploads of several MiB go through as streams', async (driver) => {
      const count = 48;
      const size = 256 * 1024;
      const total = count * size;
      const expected = sha256OfPieces('big', count, size);

      await driver.put('blobs/big', Readable.from(pieces('big', count, size)));
      assert.deepEqual(await driver.stat('blobs/big'), { size: total });
      const read = await digestStream(await driver.read('blobs/big'));
      assert.equal(read.size, total);
      assert.equal(read.sha256, expected);
      assert.ok(read.largest <= 4 * MiB, `a chunk of ${read.largest} bytes: read as a stream`);
      const middle = await bytesOf(
        await driver.read('blobs/big', { start: total / 2 - 5, end: total / 2 + 4 }),
      );
      const all = [...pieces('big', count, size)];
      assert.deepEqual(
        middle,
        Buffer.concat(all.slice(count / 2 - 1, count / 2 + 1)).subarray(size - 5, size + 5),
      );

      // An upload in three appends of uneven sizes, one of them a long stream.
      await driver.uploads.start('big');
      let offset = await driver.uploads.append('big', 0, Readable.from(all.slice(0, 3)));
      offset = await driver.uploads.append('big', offset, Readable.from(all.slice(3, 40)));
      offset = await driver.uploads.append('big', offset, Readable.from(all.slice(40)));
      assert.equal(offset, total);
      assert.equal((await digestStream(await driver.uploads.read('big'))).sha256, expected);
      await driver.uploads.commit('big', 'blobs/big2');
      const committed = await digestStream(await driver.read('blobs/big2'));
      assert.equal(committed.sha256, expected);
      assert.ok(committed.largest <= 4 * MiB);
    });
  });
}
