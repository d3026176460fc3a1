import type { S3Context } from './context.js';
import { MAX_PARTS, partSize } from './part-size.js';
import { uploadPart } from './multipart.js';
import { deleteKeys, putObject, readInto } from './objects.js';
import { ensureMultipart } from './resume.js';
import { partsIn, type UploadState } from './upload-state.js';

/**
 * Appends bytes to an upload. Bytes fill a buffer of the next part's size (after room for the tail
 * fragments already stored, which come first in that part); a full buffer becomes the next part
 * (fragments read back into its head), and the fragments it absorbed are deleted. What is left
 * when the stream ends is stored as one more fragment, so a restarted server finds every byte.
 * Each byte is written at most twice (as a fragment, then in its part), never rewritten as a tail
 * grows. Memory: one part-sized buffer; the stream is not read while a part is being sent.
 */
export class TailWriter {
  private buffer: Buffer | undefined;
  /** Where the next byte goes in `buffer`; bytes below `reserved` are for the fragments. */
  private pos = 0;
  private reserved = 0;

  constructor(
    private readonly ctx: S3Context,
    private readonly state: UploadState,
  ) {}

  /** Bytes stored plus bytes buffered. */
  get size(): number {
    return this.state.size + (this.buffer ? this.pos - this.reserved : 0);
  }

  /** With the prefix in a completed `data` object, the next part's number follows from its size. */
  private get nextPart(): number {
    if (this.state.multipart) return this.state.multipart.parts.length + 1;
    return this.state.base ? partsIn(this.state.prefixEnd, this.state.partBase) + 1 : 1;
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
        this.buffer = Buffer.allocUnsafe(this.partSizeNow());
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

  /** Store what is buffered as a fragment. */
  async flush(): Promise<void> {
    if (!this.buffer || this.pos === this.reserved) return;
    const offset = this.state.size;
    const size = this.pos - this.reserved;
    const key = this.ctx.keys.fragment(this.state.key, offset);
    await putObject(this.ctx, key, this.buffer.subarray(this.reserved, this.pos));
    this.state.fragments.push({ key, offset, size });
    this.state.size += size;
    this.buffer = undefined;
  }

  private partSizeNow(): number {
    return partSize(this.nextPart, this.state.partBase);
  }

  private async sendPart(): Promise<void> {
    const buffer = this.buffer as Buffer;
    let at = 0;
    for (const f of this.state.fragments) {
      await readInto(this.ctx, f.key, buffer, at, f.size, f.start);
      at += f.size;
    }
    const multipart = await ensureMultipart(this.ctx, this.state);
    const part = await uploadPart(
      this.ctx,
      this.ctx.keys.data(this.state.key),
      multipart.uploadId,
      this.nextPart,
      buffer,
    );
    multipart.parts.push(part);
    // It replaced a short part left by an interrupted commit, if there was one.
    this.state.shortPart = undefined;
    const absorbed = [...new Set([...this.state.fragments.map((f) => f.key), ...this.state.garbage])];
    this.state.fragments = [];
    this.state.garbage = [];
    this.state.prefixEnd += buffer.length;
    this.state.size = this.state.prefixEnd;
    await deleteKeys(this.ctx, absorbed);
    // The next part reuses the buffer when it has the same size.
    this.reserved = 0;
    this.pos = 0;
    if (this.nextPart > MAX_PARTS || this.partSizeNow() !== buffer.length) this.buffer = undefined;
  }
}
