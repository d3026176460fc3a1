import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { s3Schema } from '../../src/config/storage-schema.js';
import { createS3Client } from '../../src/storage/s3/client.js';
import { sendBuffer } from '../../src/storage/s3/buffer-body.js';
import { FilesystemRoots, resolveDirectory } from '../../src/registries/filesystem-roots.js';

/**
 * Arca's S3 client, its "network" replaced innermost (after signing): each request's headers and
 * the sizes of its body's writes are recorded; the first `failures` attempts fail as a reset socket.
 */
function recordingClient(failures: number) {
  const seen: { headers: Record<string, string>; writes: number[] }[] = [];
  let left = failures;
  const config = s3Schema.parse({
    bucket: 'b',
    region: 'us-east-1',
    regionendpoint: 'https://127.0.0.1:9',
    accesskey: 'AKIDEXAMPLE',
    secretkey: 'secret',
  });
  const client = createS3Client(config, new Agent());
  client.middlewareStack.add(
    () => async (args) => {
      const request = args.request as { headers: Record<string, string>; body: Readable };
      const writes: number[] = [];
      for await (const chunk of request.body) writes.push((chunk as Buffer).length);
      seen.push({ headers: { ...request.headers }, writes });
      if (left-- > 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      const response = { statusCode: 200, headers: { etag: '"x"' }, body: Readable.from([]) };
      return { response, output: {} as never };
    },
    { step: 'deserialize', priority: 'low', name: 'recordingNetwork' },
  );
  return { client, seen };
}

test('hardening 12: part and object bodies reach the socket in 256 KiB slices, their SHA-256 signed, retried with fresh streams', async () => {
  const part = Buffer.alloc(10 * 1024 * 1024, 7);
  const sha = createHash('sha256').update(part).digest('hex');
  const { client, seen } = recordingClient(2);
  await sendBuffer(part, (Body) =>
    client.send(
      new UploadPartCommand({
        Bucket: 'b',
        Key: 'k',
        UploadId: 'u',
        PartNumber: 1,
        Body,
        ContentLength: part.length,
      }),
    ),
  );
  await sendBuffer(part.subarray(0, 1000), (Body) =>
    client.send(new PutObjectCommand({ Bucket: 'b', Key: 'f', Body, ContentLength: 1000 })),
  );
  // Two transient failures, then success: three attempts, each the whole part again; then the PUT.
  assert.equal(seen.length, 4);
  for (const [i, { headers, writes }] of seen.entries()) {
    const size = i < 3 ? part.length : 1000;
    const expected = i < 3 ? sha : createHash('sha256').update(part.subarray(0, 1000)).digest('hex');
    assert.equal(headers['x-amz-content-sha256'], expected);
    assert.match(headers.authorization ?? '', /SignedHeaders=[^,]*x-amz-content-sha256/);
    assert.equal(
      writes.reduce((a, b) => a + b, 0),
      size,
    );
    assert.ok(Math.max(...writes) <= 256 * 1024, `largest write ${Math.max(...writes)} bytes`);
  }
});

test('hardening 6: filesystem roots are resolved (.., symbolic links, missing tails) before containment', () => {
  const base = mkdtempSync(join(tmpdir(), 'arca-roots-'));
  try {
    const allowed = join(base, 'allowed');
    const keys = join(base, 'allowed', 'keys');
    mkdirSync(keys, { recursive: true });
    symlinkSync(join(base, 'loop-b'), join(base, 'loop-a'));
    symlinkSync(join(base, 'loop-a'), join(base, 'loop-b'));
    symlinkSync(base, join(allowed, 'up'));
    writeFileSync(join(allowed, 'file'), '');
    const roots = new FilesystemRoots([allowed], [keys]);
    const refused = (path: string, others: string[] = []) =>
      assert.throws(() => roots.check(path, others), { code: 'REGISTRY_INVALID' }, path);

    assert.equal(roots.check(join(allowed, 'a', 'b')), join(allowed, 'a', 'b'));
    assert.equal(roots.check(`${allowed}/x/../y`), join(allowed, 'y'));
    assert.equal(roots.check(join(allowed, 'file', 'below')), join(allowed, 'file', 'below'));
    refused(join(allowed, 'up', 'elsewhere'));
    refused(join(allowed, 'up', 'allowed', '..', 'loop-a', 'x'));
    refused(join(base, 'loop-a', 'x'));
    refused(join(keys, 'inner'));
    refused(allowed); // holds the keys
    refused('relative/path');
    refused(join(allowed, 'team', 'inner'), [join(allowed, 'team')]);
    refused(join(allowed, 'team'), [join(allowed, 'team', 'inner')]);
    assert.equal(resolveDirectory(join(base, 'loop-a', 'x')), undefined);
    assert.throws(
      () => new FilesystemRoots([], []).check(join(allowed, 'a')),
      /allows no filesystem backends/,
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
