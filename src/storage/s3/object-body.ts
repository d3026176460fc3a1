import { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GATHER, Relay } from './relay.js';

/**
 * The body of one response, exactly its Content-Length. Read as a stream, or relayed to an HTTP
 * response with reused buffers (`relayTo`); the socket stays paused until one of them starts.
 */
export class ObjectBody extends Readable {
  private left: number;
  /** Bytes that came with the head, before a consumer. */
  private early: Buffer | undefined;
  private relay: Relay | undefined;
  private gather: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly socket: Socket,
    length: number,
    first: Buffer,
    private readonly url: URL,
  ) {
    super({ highWaterMark: GATHER });
    // A failure before a consumer attaches must not crash the process; consumers add their own.
    this.on('error', () => {});
    this.left = length;
    // More than that in the first read fails in accept(), when a consumer starts.
    this.early = first.length > 0 ? Buffer.from(first) : undefined;
    socket.once('end', () => {
      if (this.left > 0 || this.early)
        this.fail(new Error(`S3 GET ${url.pathname}: connection closed early`));
    });
    socket.once('error', (err) => this.fail(err));
  }

  /** Bytes from the socket (in its reused read buffer: copied before returning); false pauses it. */
  accept(chunk: Buffer): boolean {
    if (this.destroyed) return false;
    if (chunk.length > this.left) {
      this.fail(new Error(`S3 GET ${this.url.pathname}: more bytes than its Content-Length`));
      return false;
    }
    this.left -= chunk.length;
    return this.relay ? this.relay.accept(chunk, this.left === 0) : this.pushCopy(chunk);
  }

  private pushCopy(chunk: Buffer): boolean {
    let more = true;
    for (let at = 0; at < chunk.length;) {
      this.gather ??= Buffer.allocUnsafeSlow(Math.min(GATHER, this.left + chunk.length - at));
      const n = chunk.copy(this.gather, this.filled, at);
      at += n;
      this.filled += n;
      if (this.filled === this.gather.length) {
        more = this.push(this.gather);
        this.gather = undefined;
        this.filled = 0;
      }
    }
    if (this.left === 0) {
      if (this.gather) this.push(this.gather.subarray(0, this.filled));
      this.gather = undefined;
      this.push(null);
      this.socket.destroy();
      return false;
    }
    return more;
  }

  override _read(): void {
    if (this.relay) return;
    const early = this.early;
    this.early = undefined;
    if (early && !this.accept(early)) return;
    if (this.left === 0 && !early) {
      this.push(null);
      this.socket.destroy();
      return;
    }
    if (!this.socket.destroyed) this.socket.resume();
  }

  /**
   * Write the body to `res` (status and headers already set): gathered into 256 KiB buffers, at most
   * two in flight, each reused once its write completes. A failure after the headers cuts `res`.
   */
  relayTo(res: ServerResponse, onError: (err: Error) => void): void {
    if (this.destroyed) {
      onError(new Error(`S3 GET ${this.url.pathname}: the connection failed before the body was sent`));
      res.destroy();
      return;
    }
    const relay = new Relay(res, this.socket, onError);
    this.relay = relay;
    res.once('close', () => {
      if (!relay.ended) this.destroy();
    });
    const early = this.early;
    this.early = undefined;
    if (this.left === 0) return relay.finish();
    if (early && !this.accept(early)) return;
    if (!this.destroyed) this.socket.resume();
  }

  private fail(err: Error): void {
    if (this.relay) this.relay.abort(err);
    this.destroy(err);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    this.relay?.release();
    callback(this.relay ? null : err);
  }
}
