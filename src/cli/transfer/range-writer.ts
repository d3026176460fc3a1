import type { FileHandle } from 'node:fs/promises';

/** Bytes gathered before one positional write: few system calls, memory bounded by the ranges in flight. */
export const writeBufferSize = 4 * 1024 * 1024;

/**
 * Buffers of `writeBufferSize` handed back and reused: a pull allocates two per range in flight, and
 * network chunks are copied in and dropped at once (chunks held until a write would outlive the
 * young generation and make the garbage collector the largest cost of a pull).
 */
export class BufferPool {
  private readonly spare: Buffer[] = [];

  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(writeBufferSize);
  }

  give(buffer: Buffer): void {
    this.spare.push(buffer);
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Network chunks of one range gathered into large buffers, each written at its place in the file
 * while the next one fills (two buffers: at most one write in flight). `onFlush` sees each buffer,
 * in order, just before its write starts.
 */
export class RangeWriter {
  private current: Buffer;
  private other: Buffer;
  private fill = 0;
  private writing: Promise<void> = Promise.resolve();
  /** Where the bytes gathered in `current` go: everything before it is written or being written. */
  private position: number;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly pool: BufferPool,
    private readonly onFlush: (bytes: Buffer, position: number) => void,
  ) {
    this.position = start;
    this.current = pool.take();
    this.other = pool.take();
  }

  /** Where the next byte goes: after a break, the range is asked again from here. */
  get next(): number {
    return this.position + this.fill;
  }

  async push(chunk: Uint8Array): Promise<void> {
    for (let from = 0; from < chunk.length;) {
      const n = Math.min(chunk.length - from, this.current.length - this.fill);
      this.current.set(from === 0 && n === chunk.length ? chunk : chunk.subarray(from, from + n), this.fill);
      this.fill += n;
      from += n;
      if (this.fill === this.current.length) await this.flush();
    }
  }

  /** Start writing what is gathered (after the write in flight). */
  async flush(): Promise<void> {
    if (this.fill === 0) return;
    await this.writing;
    const bytes = this.current.subarray(0, this.fill);
    this.onFlush(bytes, this.position);
    this.writing = writeAll(this.handle, bytes, this.position);
    // Awaited by the next flush or by settle(); a failure meanwhile must not count as unhandled.
    this.writing.catch(() => undefined);
    this.position += this.fill;
    this.fill = 0;
    [this.current, this.other] = [this.other, this.current];
  }

  /** Wait for the write in flight; a failed write throws here. */
  settle(): Promise<void> {
    return this.writing;
  }

  /** Hand the buffers back, once settled. */
  release(): void {
    this.pool.give(this.current);
    this.pool.give(this.other);
  }
}
