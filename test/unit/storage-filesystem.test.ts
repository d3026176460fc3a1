import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CheckedStorage,
  FilesystemDriver,
  StorageMetrics,
  StorageNotFound,
  createDriver,
} from '../../src/storage/index.js';
import { invalidPaths, storageConformance } from '../helpers/storage-conformance.js';
import { makeTempDir, withTempDir } from '../helpers/tmp.js';

storageConformance('filesystem', async () => {
  const dir = makeTempDir('arca-storage-');
  return {
    driver: createDriver({ filesystem: { rootdirectory: join(dir.path, 'root') } }),
    cleanup: () => dir.cleanup(),
  };
});

test('filesystem: refused paths write nothing outside (or inside) the root', async () => {
  await withTempDir(async (dir) => {
    const driver = createDriver({ filesystem: { rootdirectory: join(dir, 'root') } });
    await driver.ping();
    for (const bad of [...invalidPaths, '../outside', '../../outside']) {
      await assert.rejects(driver.put(bad, Buffer.from('x')), /invalid path/);
      await assert.rejects(driver.uploads.start(bad), /invalid upload key/);
    }
    assert.deepEqual(await readdir(dir), ['root']);
    assert.deepEqual(await readdir(join(dir, 'root')), []);
  });
});

test('the storage layer counts operations by driver, operation and outcome', async () => {
  await withTempDir(async (dir) => {
    const metrics = new StorageMetrics();
    const driver = createDriver({ filesystem: { rootdirectory: dir } }, { metrics });
    await driver.put('blobs/a', Buffer.from('a'));
    await driver.put('blobs/b', Readable.from([Buffer.from('b')]));
    await assert.rejects(driver.read('blobs/missing'), StorageNotFound);
    await assert.rejects(driver.stat('../x'), /invalid path/);
    await driver.uploads.start('u');
    await assert.rejects(driver.uploads.append('u', 7, Readable.from([Buffer.from('x')])), {
      name: 'StorageConflict',
    });
    for await (const _ of driver.list('blobs')) {
      // a whole listing is one operation
    }
    const counts = new Map(
      (await metrics.operations.get()).values.map((v) => [
        `${v.labels.driver} ${v.labels.operation} ${v.labels.outcome}`,
        v.value,
      ]),
    );
    assert.deepEqual(Object.fromEntries(counts), {
      'filesystem put ok': 2,
      'filesystem read not_found': 1,
      'filesystem stat invalid': 1,
      'filesystem upload_start ok': 1,
      'filesystem upload_append conflict': 1,
      'filesystem list ok': 1,
    });
    const durations = (await metrics.duration.get()).values.filter(
      (v) => v.metricName === 'arca_storage_operation_duration_seconds_count' && v.labels.operation === 'put',
    );
    assert.equal(durations[0]?.value, 2);
  });
});

test('the storage layer: a read stream is the backend’s own; a backend without copy gets one', async () => {
  await withTempDir(async (dir) => {
    const backend = new FilesystemDriver(dir);
    const noCopy = Object.assign(Object.create(backend) as FilesystemDriver, { copy: undefined });
    const driver = new CheckedStorage(noCopy);
    await driver.put('a', Buffer.from('streamed copy'));
    const stream = await driver.read('a');
    const raw = await backend.read('a');
    assert.equal(
      stream.constructor,
      raw.constructor,
      'not wrapped: backpressure and buffering are the backend’s',
    );
    raw.destroy();
    stream.destroy();
    await driver.copy('a', 'b/c');
    assert.deepEqual(await driver.stat('b/c'), { size: 13 });
    await assert.rejects(driver.copy('missing', 'd'), StorageNotFound);
  });
});
