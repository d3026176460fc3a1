import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Context } from './context.js';
import { listParts, PART_BASE_META, type Part } from './multipart.js';
import { listObjects } from './objects.js';
import { MIN_PART_SIZE, partSize } from './part-size.js';

export interface Fragment {
  key: string;
  offset: number;
  size: number;
}

/** An upload's bytes as they are in the bucket, read back from it alone (no local state). */
export interface UploadState {
  key: string;
  /** The first part's size of this upload's schedule (see partSize). */
  partBase: number;
  /** The live multipart upload: parts 1..n, each exactly its scheduled size, bytes [0, prefixEnd). */
  multipart?: { uploadId: string; marker: string; parts: Part[] };
  /** With no live multipart upload: the completed `data` object holds bytes [0, prefixEnd). */
  base: boolean;
  /** Bytes in parts or in the base object. */
  prefixEnd: number;
  /** The tail after prefixEnd, in order, contiguous. */
  fragments: Fragment[];
  /** Bytes stored: prefixEnd plus the fragments. */
  size: number;
  /** Objects left over by an interrupted step (markers of finished uploads, folded fragments, a stale `data`). */
  garbage: string[];
  /** Other live multipart uploads named by markers (only after a crash at the wrong moment). */
  strays: { uploadId: string; marker: string }[];
  /** The latest write of any object or part. */
  modified: Date;
}

export class CorruptUpload extends Error {
  constructor(key: string, why: string) {
    super(`storage: upload ${key} is inconsistent: ${why}`);
    this.name = 'CorruptUpload';
  }
}

/**
 * The first part's size for a new multipart upload: `chunksize`, unless the tail fragments
 * already hold that much (`chunksize` was lowered since they were written).
 */
export function newPartBase(ctx: S3Context, fragmentBytes: number): number {
  const mib = 1024 * 1024;
  return partSize(1, ctx.chunkSize) > fragmentBytes
    ? ctx.chunkSize
    : Math.max(MIN_PART_SIZE, Math.ceil((fragmentBytes + 1) / mib) * mib);
}

/**
 * Read an upload's state: one listing of `_uploads/<key>/` and ListParts of the multipart upload
 * its marker names. Returns null when the upload does not exist.
 */
export async function loadUploadState(ctx: S3Context, key: string): Promise<UploadState | null> {
  const { keys } = ctx;
  const markers: { uploadId: string; partBase: number; key: string }[] = [];
  const fragments: Fragment[] = [];
  let data: { size: number } | undefined;
  let modified = new Date(0);
  let any = false;
  for await (const o of listObjects(ctx, keys.upload(key))) {
    any = true;
    if (o.modified > modified) modified = o.modified;
    const what = keys.classify(key, o.key);
    if (what.kind === 'marker')
      markers.push({ uploadId: what.uploadId, partBase: what.partBase, key: o.key });
    else if (what.kind === 'fragment') fragments.push({ key: o.key, offset: what.offset, size: o.size });
    else if (what.kind === 'data') data = { size: o.size };
  }
  if (!any) return null;

  const garbage: string[] = [];
  const live: { uploadId: string; partBase: number; marker: string; parts: Part[] }[] = [];
  for (const m of markers) {
    const parts = await listParts(ctx, keys.data(key), m.uploadId);
    if (parts === null) garbage.push(m.key);
    else live.push({ uploadId: m.uploadId, partBase: m.partBase, marker: m.key, parts });
  }
  live.sort((a, b) => b.parts.length - a.parts.length);
  const chosen = live[0];
  const strays = live.slice(1).map(({ uploadId, marker }) => ({ uploadId, marker }));

  let prefixEnd = 0;
  let base = false;
  let partBase = ctx.chunkSize;
  let multipart: UploadState['multipart'];
  if (chosen) {
    partBase = chosen.partBase;
    const parts = scheduledParts(key, chosen.parts, partBase);
    multipart = { uploadId: chosen.uploadId, marker: chosen.marker, parts };
    for (const p of parts) {
      prefixEnd += p.size;
      if (p.modified > modified) modified = p.modified;
    }
    // A `data` object beside a live upload is a leftover: the upload's parts hold its bytes.
    if (data) garbage.push(keys.data(key));
  } else if (data) {
    base = true;
    prefixEnd = data.size;
    const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: keys.data(key) }));
    const recorded = Number(head.Metadata?.[PART_BASE_META]);
    if (Number.isSafeInteger(recorded) && recorded > 0) partBase = recorded;
  }

  fragments.sort((a, b) => a.offset - b.offset);
  const chain: Fragment[] = [];
  let end = prefixEnd;
  for (const f of fragments) {
    if (f.offset + f.size <= prefixEnd) garbage.push(f.key);
    else if (f.offset === end && f.size > 0) {
      chain.push(f);
      end += f.size;
    } else if (f.offset > end || f.size === 0) garbage.push(f.key);
    else throw new CorruptUpload(key, `fragment at ${f.offset} overlaps bytes up to ${end}`);
  }
  if (!chosen && !base) partBase = newPartBase(ctx, end);
  return {
    key,
    partBase,
    multipart,
    base,
    prefixEnd,
    fragments: chain,
    size: end,
    garbage,
    strays,
    modified,
  };
}

/**
 * The parts that count: 1..n, each exactly its scheduled size. A short last part is what an
 * interrupted commit leaves (the tail fragments, which are still there): it is left out and will be
 * overwritten. Anything else out of schedule means the bucket was changed behind our back.
 */
function scheduledParts(key: string, parts: Part[], partBase: number): Part[] {
  const good: Part[] = [];
  for (const [i, p] of parts.entries()) {
    const n = i + 1;
    const expected = partSize(n, partBase);
    if (p.number === n && p.size === expected) {
      good.push(p);
      continue;
    }
    if (i === parts.length - 1 && p.number === n && p.size < expected) break;
    throw new CorruptUpload(
      key,
      `part ${p.number} has ${p.size} bytes where part ${n} of ${expected} was expected`,
    );
  }
  return good;
}

/** How many whole scheduled parts `size` bytes make, or undefined when `size` ends inside a part. */
export function partsIn(size: number, partBase: number): number | undefined {
  let n = 0;
  let end = 0;
  while (end < size) end += partSize(++n, partBase);
  return end === size ? n : undefined;
}
