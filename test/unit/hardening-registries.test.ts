import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent } from 'node:https';
import { Readable } from 'node:stream';
import { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { s3Schema } from '../../src/config/schema.js';
import { createS3Client } from '../../src/storage/s3/client.js';
import { sendBuffer } from '../../src/storage/s3/buffer-body.js';

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
