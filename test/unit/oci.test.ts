import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRepositoryName } from '../../src/oci/names.js';
import { parseDigest, blobPath } from '../../src/oci/digest.js';
import { parseManifest } from '../../src/oci/manifest.js';
import { matchOciPath } from '../../src/http/oci-router.js';
import { parseByteRange, parseContentRange } from '../../src/http/request-body.js';
import { AppError } from '../../src/errors/index.js';

const hex64 = 'a'.repeat(64);

test('repository names follow the distribution grammar', () => {
  for (const ok of ['a', 'library/ubuntu', 'a.b_c__d-e--f/g', 'x/y/z', '0'])
    assert.ok(isRepositoryName(ok), ok);
  for (const bad of [
    '',
    'A',
    'a/',
    '/a',
    'a//b',
    'a/../b',
    '..',
    'a_',
    '-a',
    'a___b',
    `${'a'.repeat(256)}`,
  ]) {
    assert.ok(!isRepositoryName(bad), bad);
  }
});

test('digests: sha256 and sha512 only, lowercase hex of the right length', () => {
  assert.deepEqual(parseDigest(`sha256:${hex64}`), { algorithm: 'sha256', hex: hex64 });
  assert.ok(parseDigest(`sha512:${'b'.repeat(128)}`));
  for (const bad of [`sha256:${'A'.repeat(64)}`, 'sha256:abc', `md5:${hex64}`, hex64, `sha512:${hex64}`]) {
    assert.equal(parseDigest(bad), null, bad);
  }
  assert.equal(blobPath(`sha256:${hex64}`), `blobs/sha256/aa/${hex64}`);
  assert.throws(() => blobPath('sha256:../../etc'), AppError);
});

test('manifest parsing checks shape and media type', () => {
  const config = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: `sha256:${hex64}`,
    size: 10,
  };
  const body = (o: object) => Buffer.from(JSON.stringify(o));
  const m = parseManifest(
    body({ schemaVersion: 2, config, layers: [] }),
    'application/vnd.oci.image.manifest.v1+json',
  );
  assert.equal(m.kind, 'image');
  assert.equal(m.artifactType, config.mediaType);
  const inferred = parseManifest(body({ schemaVersion: 2, manifests: [] }), undefined);
  assert.equal(inferred.mediaType, 'application/vnd.oci.image.index.v1+json');
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as AppError).code;
    }
    return 'none';
  };
  assert.equal(
    code(() => parseManifest(Buffer.from('nope'), undefined)),
    'MANIFEST_INVALID',
  );
  assert.equal(
    code(() => parseManifest(body({ schemaVersion: 2, config, layers: [{}] }), undefined)),
    'MANIFEST_INVALID',
  );
  assert.equal(
    code(() =>
      parseManifest(body({ schemaVersion: 2, config: { ...config, size: -1 }, layers: [] }), undefined),
    ),
    'MANIFEST_INVALID',
  );
  assert.equal(
    code(() =>
      parseManifest(
        body({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }),
        'application/vnd.oci.image.manifest.v1+json',
      ),
    ),
    'MANIFEST_INVALID',
  );
});

test('/v2 paths are matched from their end', () => {
  assert.deepEqual(matchOciPath(''), { kind: 'base' });
  assert.deepEqual(matchOciPath('a/b/manifests/latest'), {
    kind: 'manifest',
    name: 'a/b',
    reference: 'latest',
  });
  assert.deepEqual(matchOciPath('a/blobs/uploads/'), { kind: 'uploads', name: 'a' });
  assert.deepEqual(matchOciPath('a/blobs/uploads/123'), { kind: 'upload', name: 'a', id: '123' });
  assert.deepEqual(matchOciPath('blobs/blobs/x'), { kind: 'blob', name: 'blobs', digest: 'x' });
  assert.deepEqual(matchOciPath('a/tags/list'), { kind: 'tags', name: 'a' });
  assert.deepEqual(matchOciPath('a/referrers/d'), { kind: 'referrers', name: 'a', digest: 'd' });
  assert.deepEqual(matchOciPath('a/b'), { kind: 'none' });
});

test('Content-Range and Range parsing', () => {
  assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
  assert.deepEqual(parseContentRange('bytes=5-9'), { start: 5, end: 9 });
  assert.equal(parseContentRange(undefined), undefined);
  assert.throws(() => parseContentRange('9-5'), AppError);
  assert.throws(() => parseContentRange('x'), AppError);
  assert.deepEqual(parseByteRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseByteRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseByteRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseByteRange('bytes=95-200', 100), { start: 95, end: 99 });
  assert.throws(() => parseByteRange('bytes=100-', 100), AppError);
  assert.throws(() => parseByteRange('bytes=0-1,5-6', 100), AppError);
});
