import type { S3Context } from './context.js';
import { mapLimit } from './limit.js';
import { MAX_PARTS, partSize } from './part-size.js';
import { uploadPart, type Part } from './multipart.js';
import { deleteKeys, putObject, readInto } from './objects.js';
import { ensureMultipart } from './resume.js';
import { partsIn, type UploadState } from './upload-state.js';

/** Tail fragments read back at once while a part is assembled. */
const FRAGMENT_READS = 4;

/**
 * Appends bytes to an upload. Bytes fill a buffer of the next part's size (after room for the tail
 * fragments already stored, which come first in that part); a full buffer becomes the next part
 * (fragments read back into its head), and the fragments it absorbed are deleted once it is
 * stored. What is left when the stream ends is stored as one more fragment, so a restarted server
 * finds every byte. Each byte is written at most twice (as a fragment, then in its part), never
 * rewritten as a tail grows.
 *
 * One part may be in flight while the next one fills, when the context's budget of spare part
 * buffers allows (the S3 round trip of a part then overlaps receiving the next); otherwise the
 * stream waits while a part is sent. Memory: one part-sized buffer, two while a spare is held.
 */
export class TailWriter {
  private buffer: Buffer | undefined;
  /** Where the next byte goes in `buffer`; bytes below `reserved` are for the fragments. */
  private pos = 0;
  private reserved = 0;
  /** The part being sent, if any, and whether it holds a spare from the context's budget. */
  private inflight: { done: Promise<void>; spare: boolean; buffer: Buffer } | undefined;
  /** The buffer of the last part stored, for the next part of the same size. */
  private free: Buffer | undefined;

  constructor(
    private readonly ctx: S3Context,
    private readonly state: UploadState,
  ) {}

  /** With the prefix in a completed `data` object, the next part's number follows from its size. */
  private get nextPart(): number {
    const inflight = this.inflight ? 1 : 0;
    if (this.state.multipart) return this.state.multipart.parts.length + 1 + inflight;
    return (this.state.base ? partsIn(this.state.prefixEnd, this.state.partBase) + 1 : 1) + inflight;
  }

  private fragmentBytes(): number {
    return this.state.fragments.reduce((sum, f) => sum + f.size, 0);
  }

  async write(chunk: Buffer): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      if (!this.buffer) {
        if (this.nextPart > MAX_PARTS)
          throw new Error(`storage: upload ${this.state.key} exceeds ${MAX_PARTS} parts`);
        this.buffer = this.newBuffer();
        this.reserved = this.fragmentBytes();
        this.pos = this.reserved;
      }
      const n = Math.min(chunk.length - at, this.buffer.length - this.pos);
      chunk.copy(this.buffer, this.pos, at, at + n);
      this.pos += n;
      at += n;
      if (this.pos === this.buffer.length) await this.sendPart();
    }
  }

  /** Wait for the part in flight, then store what is buffered as a fragment. */
  async flush(): Promise<void> {
    try {
      await this.settle();
    } catch (err) {
      // The buffered bytes come after the part that failed: they cannot be stored in order.
      this.pos = this.reserved;
      throw err;
    }
    if (!this.buffer || this.pos === this.reserved) return;
    const offset = this.state.size;
    const size = this.pos - this.reserved;
    const key = this.ctx.keys.fragment(this.state.key, offset);
    await putObject(this.ctx, key, this.buffer.subarray(this.reserved, this.pos));
    this.state.fragments.push({ key, offset, size });
    this.state.size += size;
    this.keep(this.buffer);
    this.buffer = undefined;
  }

  /** Keep a buffer no request refers to any more for the next part (one; the pool takes others). */
  private keep(buffer: Buffer): void {
    if (this.free) this.ctx.buffers.give(this.free);
    this.free = buffer;
  }

  /** Wait until no part is in flight; its failure is thrown here. */
  private async settle(): Promise<void> {
    const inflight = this.inflight;
    if (!inflight) return;
    try {
      await inflight.done;
    } finally {
      this.inflight = undefined;
      this.keep(inflight.buffer);
      if (inflight.spare) this.ctx.spareParts.give();
    }
  }

  private partSizeNow(): number {
    return partSize(this.nextPart, this.state.partBase);
  }

  /** A buffer for the next part: that of the last part stored, if it has the right size. */
  private newBuffer(): Buffer {
    const size = this.partSizeNow();
    const free = this.free;
    this.free = undefined;
    if (free && free.length === size) return free;
    if (free) this.ctx.buffers.give(free);
    return this.ctx.buffers.take(size);
  }

  /** After the last flush: hand the buffers back for the next append. */
  release(): void {
    if (this.inflight) return; // still referenced by a request body
    for (const b of [this.buffer, this.free]) if (b) this.ctx.buffers.give(b);
    this.buffer = undefined;
    this.free = undefined;
  }

  private async sendPart(): Promise<void> {
    const buffer = this.buffer as Buffer;
    const fragments = this.state.fragments;
    if (fragments.length > 0) {
      const starts = fragments.map((_, i) => fragments.slice(0, i).reduce((sum, f) => sum + f.size, 0));
      await mapLimit(
        fragments.map((f, i) => ({ f, at: starts[i] ?? 0 })),
        FRAGMENT_READS,
        ({ f, at }) => readInto(this.ctx, f.key, buffer, at, f.size, f.start),
      );
    }
    // One part in flight at most: the one before this must be stored first.
    await this.settle();
    const multipart = await ensureMultipart(this.ctx, this.state);
    const number = this.nextPart;
    const absorbed = [...new Set([...fragments.map((f) => f.key), ...this.state.garbage])];
    this.state.fragments = [];
    this.state.garbage = [];
    const spare = this.ctx.spareParts.take();
    const done = uploadPart(
      this.ctx,
      this.ctx.keys.data(this.state.key),
      multipart.uploadId,
      number,
      buffer,
    ).then(async (part: Part) => {
      multipart.parts.push(part);
      // It replaced a short part left by an interrupted commit, if there was one.
      this.state.shortPart = undefined;
      this.state.prefixEnd += buffer.length;
      this.state.size = this.state.prefixEnd;
      await deleteKeys(this.ctx, absorbed);
    });
    // Awaited by settle(); never an unhandled rejection meanwhile.
    done.catch(() => {});
    this.inflight = { done, spare, buffer };
    this.buffer = undefined;
    this.reserved = 0;
    this.pos = 0;
    if (!spare) await this.settle();
  }
}
