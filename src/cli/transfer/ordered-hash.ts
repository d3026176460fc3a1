import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { readBufferSize } from './hash-file.js';

/**
 * The sha256 of a file that arrives as ranges in any order. Bytes are hashed as they are written
 * when they are the next ones (`offer`); ranges that finished ahead of that point are read back from
 * the file (the page cache, just written) once every range before them is finished (`catchUp`), so
 * a file that comes in order is never read again, and one that comes in parallel is read back
 * while the rest of it is still arriving rather than all at the end.
 */
export class OrderedHash {
  private readonly hash = createHash('sha256');
  /** Bytes hashed from the start of the file. */
  private hashed = 0;
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly size: number,
    private readonly segment: number,
    /** Whether range `index` is written in full. */
    private readonly finished: (index: number) => boolean,
    private readonly handle: () => Promise<FileHandle>,
  ) {}

  get complete(): boolean {
    return this.hashed === this.size;
  }

  /** Hash `bytes` if they start where the hash stands; otherwise they are read back later. */
  offer(bytes: Buffer, position: number): void {
    if (position !== this.hashed) return;
    this.hash.update(bytes);
    this.hashed += bytes.length;
  }

  /** Read back and hash finished ranges from where the hash stands, as far as they reach in order. */
  catchUp(): Promise<void> {
    this.reading = this.reading.then(() => this.readOn());
    return this.reading;
  }

  /** `sha256:<hex>`, once complete. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }

  private async readOn(): Promise<void> {
    let buffer: Buffer | undefined;
    while (this.hashed < this.size && this.finished(Math.floor(this.hashed / this.segment))) {
      const end = Math.min((Math.floor(this.hashed / this.segment) + 1) * this.segment, this.size);
      buffer ??= Buffer.allocUnsafe(readBufferSize);
      const handle = await this.handle();
      const want = Math.min(buffer.length, end - this.hashed);
      const { bytesRead } = await handle.read(buffer, 0, want, this.hashed);
      if (bytesRead === 0) throw new Error(`the partial file ends at ${this.hashed} of ${this.size} bytes`);
      this.hash.update(buffer.subarray(0, bytesRead));
      this.hashed += bytesRead;
    }
  }
}
