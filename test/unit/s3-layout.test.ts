import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keys } from '../../src/storage/s3/keys.js';
import { MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, partSize } from '../../src/storage/s3/part-size.js';
import { partsIn } from '../../src/storage/s3/upload-state.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

function capacity(base: number): number {
  let total = 0;
  for (let n = 1; n <= MAX_PARTS; n++) total += partSize(n, base);
  return total;
}

test('10,000 parts hold more than 5 TiB from the smallest chunk size up', () => {
  for (const base of [MIN_PART_SIZE, 10 * MiB, 32 * MiB, GiB]) {
    assert.ok(capacity(base) >= 5 * TiB, `chunksize ${base}: ${capacity(base) / TiB} TiB`);
    for (let n = 1; n <= MAX_PARTS; n++) {
      const size = partSize(n, base);
      assert.ok(size >= MIN_PART_SIZE && size <= MAX_PART_SIZE);
    }
  }
});

test('small blobs keep chunksize parts; a 100 GiB blob needs parts of at most 80 MiB', () => {
  assert.equal(partSize(1, 10 * MiB), 10 * MiB);
  assert.equal(partSize(800, 10 * MiB), 10 * MiB);
  assert.equal(partSize(801, 10 * MiB), 20 * MiB);
  let total = 0;
  let n = 0;
  while (total < 100 * GiB) total += partSize(++n, 10 * MiB);
  assert.ok(n < MAX_PARTS);
  assert.equal(partSize(n, 10 * MiB), 80 * MiB);
  // A chunk size below S3's minimum is raised to it.
  assert.equal(partSize(1, MiB), MIN_PART_SIZE);
});

test('whole parts within a size', () => {
  const base = 5 * MiB;
  assert.equal(partsIn(0, base), 0);
  assert.equal(partsIn(5 * MiB - 1, base), 0);
  assert.equal(partsIn(5 * MiB, base), 1);
  assert.equal(partsIn(12 * MiB, base), 2);
  assert.equal(partsIn(800 * 5 * MiB + 10 * MiB, base), 801);
});

test('key layout under the root directory', () => {
  for (const [root, prefix] of [
    ['', ''],
    ['/', ''],
    ['/registry/', 'registry/'],
    ['a/b', 'a/b/'],
  ] as const) {
    const keys = new Keys(root);
    assert.equal(keys.object('blobs/sha256/ab/abc'), `${prefix}blobs/sha256/ab/abc`);
    assert.equal(keys.path(`${prefix}blobs/x`), 'blobs/x');
  }
  const keys = new Keys('/r');
  const id = '2~EKTseqlQ2h2AL2C1x/+=.mjUi';
  assert.deepEqual(keys.classify('u', keys.marker('u', id, 5 * MiB)), {
    kind: 'marker',
    uploadId: id,
    partBase: 5 * MiB,
  });
  assert.deepEqual(keys.classify('u', keys.fragment('u', 123456789)), {
    kind: 'fragment',
    offset: 123456789,
  });
  assert.deepEqual(keys.classify('u', keys.started('u')), { kind: 'started' });
  assert.deepEqual(keys.classify('u', keys.data('u')), { kind: 'data' });
  assert.equal(keys.uploadOf(keys.fragment('u', 0)), 'u');
  assert.equal(keys.uploadOf('r/blobs/x'), undefined);
});
