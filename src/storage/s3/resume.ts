import type { S3Context } from './context.js';
import { mapLimit } from './limit.js';
import { createMultipart, type Part, uploadPartCopy } from './multipart.js';
import { putObject } from './objects.js';
import { partSize } from './part-size.js';
import { CorruptUpload, type UploadState } from './upload-state.js';

/**
 * Give an upload a live multipart upload at its `data` key, and return it. Without one yet, a new
 * one is created; when the bytes so far are in the completed `data` object (after `readUpload`),
 * the new upload's first parts are server-side copies of it with the same boundaries, so the part
 * schedule goes on unchanged. The marker naming it is written only once it holds every byte of
 * the prefix; the `data` object it was copied from then becomes garbage.
 */
export async function ensureMultipart(
  ctx: S3Context,
  state: UploadState,
): Promise<{ uploadId: string; parts: Part[] }> {
  if (state.multipart) return state.multipart;
  const dataKey = ctx.keys.data(state.key);
  const ranges: { number: number; start: number; size: number }[] = [];
  if (state.base) {
    for (let n = 1, start = 0; start < state.prefixEnd; n++) {
      const size = partSize(n, state.partBase);
      if (start + size > state.prefixEnd) {
        throw new CorruptUpload(
          state.key,
          `its ${state.prefixEnd} bytes end inside part ${n}: it was being committed, and can only be committed or aborted`,
        );
      }
      ranges.push({ number: n, start, size });
      start += size;
    }
  }
  const uploadId = await createMultipart(ctx, dataKey, state.partBase);
  const parts = await mapLimit(ranges, ctx.copy.concurrency, (r) =>
    uploadPartCopy(ctx, dataKey, uploadId, r.number, dataKey, r.start, r.size),
  );
  const marker = ctx.keys.marker(state.key, uploadId, state.partBase);
  await putObject(ctx, marker, Buffer.alloc(0));
  state.multipart = { uploadId, marker, parts };
  if (state.base) {
    state.base = false;
    state.garbage.push(dataKey);
  }
  return state.multipart;
}
