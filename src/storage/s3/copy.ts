import { CopyObjectCommand } from '@aws-sdk/client-s3';
import type { S3Context } from './context.js';
import { mapLimit } from './limit.js';
import { MAX_PARTS, MIN_PART_SIZE } from './part-size.js';
import {
  abortMultipart,
  completeMultipart,
  copySource,
  createMultipart,
  uploadPartCopy,
} from './multipart.js';

/** CopyObject refuses sources above 5 GiB. */
const MAX_SINGLE_COPY = 5 * 1024 * 1024 * 1024;

/**
 * Copy an object of `size` bytes inside the bucket, server-side: one CopyObject up to
 * `multipartcopythresholdsize`, above it a multipart copy in `multipartcopychunksize` ranges
 * with `multipartcopymaxconcurrency` in flight (as registry:2 does). The source may be in another
 * bucket of the same endpoint (`sourceBucket`).
 */
export async function copyObject(
  ctx: S3Context,
  source: string,
  target: string,
  size: number,
  sourceBucket = ctx.bucket,
): Promise<void> {
  if (size <= Math.min(ctx.copy.threshold, MAX_SINGLE_COPY)) {
    await ctx.client.send(
      new CopyObjectCommand({
        Bucket: ctx.bucket,
        Key: target,
        CopySource: copySource(sourceBucket, source),
        ...ctx.write,
      }),
    );
    return;
  }
  // Keep within 10,000 parts whatever the chunk size says.
  const chunk = Math.max(ctx.copy.chunkSize, MIN_PART_SIZE, Math.ceil(size / MAX_PARTS));
  const ranges: { number: number; start: number; size: number }[] = [];
  for (let start = 0, n = 1; start < size; start += chunk, n++) {
    ranges.push({ number: n, start, size: Math.min(chunk, size - start) });
  }
  const uploadId = await createMultipart(ctx, target);
  try {
    const parts = await mapLimit(ranges, ctx.copy.concurrency, (r) =>
      uploadPartCopy(ctx, target, uploadId, r.number, source, r.start, r.size, sourceBucket),
    );
    await completeMultipart(ctx, target, uploadId, parts);
  } catch (err) {
    await abortMultipart(ctx, target, uploadId).catch(() => {});
    throw err;
  }
}
