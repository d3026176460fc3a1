import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { s3Schema } from '../../src/config/storage-schema.js';
import { sendBuffer } from '../../src/storage/s3/buffer-body.js';
import { createS3Client } from '../../src/storage/s3/client.js';

/** What the transport is handed: the request as signed. */
interface SentRequest {
  headers: Record<string, string>;
  body: unknown;
}

/** The headers of the one request an S3 client sends for an UploadPart of `bytes` to `endpoint`. */
async function partHeaders(endpoint: string, bytes: Buffer): Promise<Record<string, string>> {
  const config = s3Schema.parse({ bucket: 'b', regionendpoint: endpoint, accesskey: 'k', secretkey: 's' });
  const client = createS3Client(config, new HttpsAgent());
  let seen: SentRequest | undefined;
  // The transport only: every step of the client's own middleware (ours included) runs before it.
  client.config.requestHandler = {
    handle: async (request: SentRequest) => {
      seen = request;
      for await (const _ of request.body as Readable) {
        // drained, as a socket would take it
      }
      return {
        response: { statusCode: 200, headers: { etag: '"e"' }, body: Readable.from([]) },
      };
    },
  } as never;
  await sendBuffer(bytes, (body) =>
    client.send(new UploadPartCommand({ Bucket: 'b', Key: 'k', UploadId: 'u', PartNumber: 1, Body: body })),
  );
  assert.ok(seen, 'a request was sent');
  return seen.headers;
}

test('part bodies: over HTTPS sent as UNSIGNED-PAYLOAD (no second hash of the bytes); over HTTP their SHA-256 is signed', async () => {
  const bytes = randomBytes(300 * 1024);
  const overTls = await partHeaders('https://s3.example.test', bytes);
  assert.equal(overTls['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
  assert.match(overTls.authorization ?? '', /^AWS4-HMAC-SHA256 .*SignedHeaders=.*x-amz-content-sha256/);
  const plain = await partHeaders('http://127.0.0.1:9', bytes);
  assert.equal(plain['x-amz-content-sha256'], createHash('sha256').update(bytes).digest('hex'));
});
