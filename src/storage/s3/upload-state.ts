import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Context } from './context.js';
import { listParts, PART_BASE_META, type Part } from './multipart.js';
import { listObjects } from './objects.js';
import { MIN_PART_SIZE, partSize } from './part-size.js';

/** Tail bytes [offset, offset+size) of the upload, in object `key` (from `start` in it, if given). */
export interface Fragment {
  key: string;
  offset: number;
  size: number;
  start?: number;
}

/** An upload's bytes as they are in the bucket, read back from it alone (no local state). */
export interface UploadState {
  key: string;
  /** The first part's size of this upload's schedule (see partSize). */
  partBase: number;
  /** The live multipart upload: parts 1..n, each exactly its scheduled size, bytes [0, prefixEnd). */
  multipart?: { uploadId: string; marker: string; parts: Part[] };
  /**
   * A short part n+1 after those: the tail, sent by a commit that did not complete. Its bytes are
   * still in the first fragments; it is overwritten by the next part, or completed with the rest.
   */
  shortPart?: Part;
  /**
   * With no live multipart upload: the completed `data` object holds bytes [0, prefixEnd), the
   * whole parts; any bytes of it past them are the first fragment (a range of `data`).
   */
  base: boolean;
  /** Bytes in whole parts, of the multipart upload or of the base object. */
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
 * The first part's size for an upload whose first chunk announces `length` bytes: that length when
 * it is a valid part no larger than `chunksize` (the memory a part may take), else `chunksize`.
 */
export function hintedPartBase(ctx: S3Context, length: number): number {
  return Number.isSafeInteger(length) && length >= MIN_PART_SIZE && length < partSize(1, ctx.chunkSize)
    ? length
    : ctx.chunkSize;
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
    const known = ctx.parts.get(m.uploadId);
    const rest = await listParts(ctx, keys.data(key), m.uploadId, known.length);
    if (rest === null) {
      ctx.parts.delete(m.uploadId);
      garbage.push(m.key);
    } else
      live.push({ uploadId: m.uploadId, partBase: m.partBase, marker: m.key, parts: [...known, ...rest] });
  }
  live.sort((a, b) => b.parts.length - a.parts.length);
  const chosen = live[0];
  const strays = live.slice(1).map(({ uploadId, marker }) => ({ uploadId, marker }));

  let prefixEnd = 0;
  let base = false;
  let partBase = ctx.chunkSize;
  let multipart: UploadState['multipart'];
  let shortPart: Part | undefined;
  const chain: Fragment[] = [];
  if (chosen) {
    partBase = chosen.partBase;
    const parts = scheduledParts(key, chosen.parts, partBase);
    ctx.parts.set(chosen.uploadId, parts);
    if (parts.length < chosen.parts.length) shortPart = chosen.parts[parts.length];
    multipart = { uploadId: chosen.uploadId, marker: chosen.marker, parts };
    for (const p of chosen.parts) if (p.modified > modified) modified = p.modified;
    for (const p of parts) prefixEnd += p.size;
    // A `data` object beside a live upload is a leftover: the upload's parts hold its bytes.
    if (data) garbage.push(keys.data(key));
  } else if (data) {
    base = true;
    const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: keys.data(key) }));
    const recorded = Number(head.Metadata?.[PART_BASE_META]);
    if (Number.isSafeInteger(recorded) && recorded > 0) partBase = recorded;
    prefixEnd = wholePartsEnd(data.size, partBase);
    // Completed with a short last part (a read after an interrupted commit): its bytes past the
    // whole parts become the first fragment, a range of `data`.
    if (data.size > prefixEnd) {
      chain.push({ key: keys.data(key), offset: prefixEnd, size: data.size - prefixEnd, start: prefixEnd });
    }
  }

  fragments.sort((a, b) => a.offset - b.offset);
  const covered = prefixEnd + chain.reduce((sum, f) => sum + f.size, 0);
  let end = covered;
  for (const f of fragments) {
    if (f.offset + f.size <= covered) garbage.push(f.key);
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
    shortPart,
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

/** How many whole scheduled parts fit in `size` bytes. */
export function partsIn(size: number, partBase: number): number {
  let n = 0;
  for (let end = partSize(1, partBase); end <= size; end += partSize(n + 1, partBase)) n++;
  return n;
}

/** Where the whole scheduled parts within `size` bytes end. */
function wholePartsEnd(size: number, partBase: number): number {
  let end = 0;
  for (let n = 1; end + partSize(n, partBase) <= size; n++) end += partSize(n, partBase);
  return end;
}
