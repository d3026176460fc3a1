import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { BufferPool } from './limit.js';

/** Bytes per downstream write: 16 KiB TLS records gathered into 256 KiB. */
export const GATHER = 256 * 1024;
/** Gather buffers one relayed body holds: one filling while the other is being written. */
const DEPTH = 2;
/** Idle gather buffers kept for the next relays. */
const KEEP = 8;

const idle = new BufferPool(KEEP * GATHER);

/** Writes gathered bytes to a response, two buffers at most, with backpressure to the S3 socket. */
export class Relay {
  ended = false;
  private current: Buffer | undefined;
  private filled = 0;
  private inFlight = 0;
  private stopped = false;
  private paused = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly socket: Socket,
    private readonly onError: (err: Error) => void,
  ) {}

  accept(chunk: Buffer, last: boolean): boolean {
    for (let at = 0; at < chunk.length;) {
      this.current ??= idle.take(GATHER);
      const n = chunk.copy(this.current, this.filled, at);
      at += n;
      this.filled += n;
      if (this.filled === this.current.length) this.send();
    }
    if (last) {
      this.finish();
      return false;
    }
    this.paused = this.inFlight >= DEPTH;
    return !this.paused;
  }

  finish(): void {
    if (this.filled > 0) this.send();
    this.ended = true;
    this.socket.destroy();
    this.res.end();
  }

  private send(): void {
    const buffer = this.current!;
    const length = this.filled;
    this.current = undefined;
    this.filled = 0;
    this.inFlight++;
    const socket = this.res.socket;
    socket?.cork(); // the head goes out with the first bytes
    this.res.write(length === buffer.length ? buffer : buffer.subarray(0, length), (err) => {
      this.inFlight--;
      idle.give(buffer);
      if (err || this.stopped) return;
      if (this.paused && this.inFlight < DEPTH && !this.socket.destroyed) {
        this.paused = false;
        this.socket.resume();
      }
    });
    socket?.uncork();
  }

  abort(err: Error): void {
    if (this.stopped || this.ended) return;
    this.stopped = true;
    this.onError(err);
    this.res.destroy();
  }

  release(): void {
    this.stopped = true;
    if (this.current) idle.give(this.current);
    this.current = undefined;
  }
}
