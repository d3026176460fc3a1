import type { Readable } from 'node:stream';
import type { S3Context } from './context.js';
import { abortMultipart, completeMultipart, createMultipart, type Part, uploadPart } from './multipart.js';
import { putObject } from './objects.js';
import { MAX_PARTS, partSize } from './part-size.js';

/**
 * Parts of one object sent at once. A single part's round trip (sign, encrypt, the server storing
 * and summing it) leaves the link idle; a few in flight fill it: replication of 1 GiB into Ceph RGW
 * runs at the rate of the AWS SDK's own parallel multipart upload (`bench/replication.ts`).
 */
export const PUT_PARTS_IN_FLIGHT = 4;
/** And at most this many bytes of parts: a large `chunksize` sends fewer at once (one at least). */
const PUT_BYTES_IN_FLIGHT = 64 * 1024 * 1024;

/**
 * Write a whole object from a stream of unknown length: one PUT when it fits in a part, otherwise a
 * multipart upload straight at the key (the object appears only when it completes). Parts are sent
 * while the next one fills, up to `PUT_PARTS_IN_FLIGHT` at once and 64 MiB of them (the stream waits
 * meanwhile), so memory is bounded whatever the object's size. A
 * stream that fails (a reader that found the bytes wrong, before their end) aborts the upload:
 * nothing is left at the key.
 */
export async function putStream(ctx: S3Context, key: string, data: Readable): Promise<void> {
  let n = 1;
  let buffer: Buffer = Buffer.allocUnsafe(partSize(n, ctx.chunkSize));
  let pos = 0;
  let uploadId: string | undefined;
  const parts: Part[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  /** Buffers of sent parts, reused by the next parts of the same size. */
  const spare: Buffer[] = [];
  const send = async (number: number, body: Buffer) => {
    uploadId ??= await createMultipart(ctx, key);
    const id = uploadId;
    const done = uploadPart(ctx, key, id, number, body).then(
      (part) => {
        parts.push(part);
        spare.push(body);
      },
      (err: unknown) => {
        failure ??= { err };
      },
    );
    const tracked = done.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
    const limit = Math.max(1, Math.min(PUT_PARTS_IN_FLIGHT, Math.floor(PUT_BYTES_IN_FLIGHT / body.length)));
    while (inflight.size >= limit) await Promise.race(inflight);
    if (failure) throw failure.err;
  };
  try {
    for await (const chunk of data as AsyncIterable<Buffer>) {
      let at = 0;
      while (at < chunk.length) {
        if (pos === buffer.length) {
          await send(n, buffer);
          if (++n > MAX_PARTS) throw new Error(`storage: ${key} exceeds ${MAX_PARTS} parts`);
          const size = partSize(n, ctx.chunkSize);
          const reuse = spare.findIndex((b) => b.length === size);
          buffer = reuse >= 0 ? spare.splice(reuse, 1)[0]! : Buffer.allocUnsafe(size);
          spare.length = 0;
          pos = 0;
        }
        const take = Math.min(chunk.length - at, buffer.length - pos);
        chunk.copy(buffer, pos, at, at + take);
        pos += take;
        at += take;
      }
    }
    if (uploadId === undefined && inflight.size === 0) {
      await putObject(ctx, key, buffer.subarray(0, pos));
      return;
    }
    if (pos > 0) await send(n, buffer.subarray(0, pos));
    await Promise.all(inflight);
    if (failure) throw failure.err;
    await completeMultipart(
      ctx,
      key,
      uploadId as string,
      parts.sort((a, b) => a.number - b.number),
    );
  } catch (err) {
    // Parts still in flight would land after the abort and keep the upload's storage: wait for them.
    await Promise.all(inflight);
    if (uploadId !== undefined) await abortMultipart(ctx, key, uploadId).catch(() => {});
    throw err;
  }
}
