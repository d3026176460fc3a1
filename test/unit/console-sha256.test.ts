import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { fileDigest, Sha256 } from '../../console/src/sha256.js';

const reference = (data: Buffer) => createHash('sha256').update(data).digest('hex');

test("the console's streaming SHA-256 agrees with Node's at every padding boundary and any chunking", () => {
  for (const size of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, 65_537]) {
    const data = randomBytes(size);
    assert.equal(new Sha256().update(data).hex(), reference(data), `${size} bytes whole`);
    for (const chunk of [1, 7, 64, 100]) {
      const hash = new Sha256();
      for (let i = 0; i < size; i += chunk) hash.update(data.subarray(i, i + chunk));
      assert.equal(hash.hex(), reference(data), `${size} bytes in chunks of ${chunk}`);
    }
  }
  assert.equal(
    new Sha256().update(Buffer.from('abc')).hex(),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
});

test('a file is hashed slice by slice (4 MiB), reporting progress, with the digest a registry expects', async () => {
  const data = randomBytes((9 << 20) + 3);
  const seen: number[] = [];
  const digest = await fileDigest(new Blob([data]), (n) => seen.push(n));
  assert.equal(digest, `sha256:${reference(data)}`);
  assert.deepEqual(seen, [4 << 20, 8 << 20, data.length]);
  assert.equal(await fileDigest(new Blob([])), `sha256:${reference(Buffer.alloc(0))}`);
});
