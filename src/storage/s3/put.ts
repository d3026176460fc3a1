import type { Readable } from 'node:stream';
import type { S3Context } from './context.js';
import { abortMultipart, completeMultipart, createMultipart, type Part, uploadPart } from './multipart.js';
import { putObject } from './objects.js';
import { MAX_PARTS, partSize } from './part-size.js';

/**
 * Write a whole object from a stream of unknown length: one PUT when it fits in a part, otherwise a
 * multipart upload straight at the key (the object appears only when it completes). One
 * part-sized buffer; the stream is not read while a part is being sent.
 */
export async function putStream(ctx: S3Context, key: string, data: Readable): Promise<void> {
  let n = 1;
  let buffer = Buffer.allocUnsafe(partSize(n, ctx.chunkSize));
  let pos = 0;
  let uploadId: string | undefined;
  const parts: Part[] = [];
  try {
    for await (const chunk of data as AsyncIterable<Buffer>) {
      let at = 0;
      while (at < chunk.length) {
        if (pos === buffer.length) {
          uploadId ??= await createMultipart(ctx, key);
          parts.push(await uploadPart(ctx, key, uploadId, n, buffer));
          if (++n > MAX_PARTS) throw new Error(`storage: ${key} exceeds ${MAX_PARTS} parts`);
          if (partSize(n, ctx.chunkSize) !== buffer.length)
            buffer = Buffer.allocUnsafe(partSize(n, ctx.chunkSize));
          pos = 0;
        }
        const take = Math.min(chunk.length - at, buffer.length - pos);
        chunk.copy(buffer, pos, at, at + take);
        pos += take;
        at += take;
      }
    }
    if (uploadId === undefined) {
      await putObject(ctx, key, buffer.subarray(0, pos));
      return;
    }
    if (pos > 0) parts.push(await uploadPart(ctx, key, uploadId, n, buffer.subarray(0, pos)));
    await completeMultipart(ctx, key, uploadId, parts);
  } catch (err) {
    if (uploadId !== undefined) await abortMultipart(ctx, key, uploadId).catch(() => {});
    throw err;
  }
}
