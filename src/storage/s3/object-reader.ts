import type { ServerResponse } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { BufferPool } from './limit.js';

/** Bytes per downstream write: 16 KiB TLS records gathered into 256 KiB. */
const GATHER = 256 * 1024;
/** Gather buffers one relayed body holds: one filling while the other is being written. */
const DEPTH = 2;
/** Idle gather buffers kept for the next relays. */
const KEEP = 8;
/** What one socket read delivers at most (a TLS record is 16 KiB). */
const READ_BUFFER = 64 * 1024;
/** A response head larger than this is not an S3 server's. */
const MAX_HEAD = 64 * 1024;
/** An object read that receives nothing for this long fails (a wedged gateway, a lost peer). */
const IDLE_MS = 60_000;

const idle = new BufferPool(KEEP * GATHER);

/** An S3 error response to a GET: its status and, when the body says it, the S3 error code. */
export class ObjectReadError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    url: URL,
  ) {
    super(`S3 GET ${url.pathname}: ${status}${code ? ` ${code}` : ''}`);
  }
}

/** How to connect: TLS options as the SDK's https agent has them (CA, verification). */
export interface ObjectReaderOptions {
  tls: ConnectionOptions;
}

interface Head {
  status: number;
  length: number | undefined;
  chunked: boolean;
}

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
  let length: number | undefined;
  let chunked = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding' && value.toLowerCase() !== 'identity') chunked = true;
  }
  return { status, length, chunked };
}

/**
 * GETs of objects and ranges for proxied blob reads, on a socket of their own. Through the SDK's
 * HTTP client every 16 KiB TLS record becomes a new buffer, is copied again by the HTTP parser and
 * passes through two streams: a GiB allocates two GiB, and V8 answers that external memory with full
 * garbage collections of the whole heap, which cost more than decrypting the bytes. Here the socket
 * decrypts into one reused buffer (`onread`), each record is copied once into a 256 KiB buffer, and
 * a relayed body writes those to the client and reuses them.
 *
 * Requests are presigned URLs (signed by the SDK: its credentials, session tokens and endpoints);
 * TLS sessions are resumed between reads. A response that is not a plain body with a
 * Content-Length (chunked, say) resolves `undefined`, and the caller reads through the SDK.
 */
export class ObjectReader {
  private session: Buffer | undefined;

  constructor(private readonly options: ObjectReaderOptions) {}

  read(url: string, range?: { start: number; end: number }): Promise<ObjectBody | undefined> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const port = Number(target.port || (secure ? 443 : 80));
    const host = target.hostname.replace(/^\[|\]$/g, '');
    /** Where the socket's bytes go: the head parser, then the body. */
    let sink: (chunk: Buffer) => boolean = () => true;
    const onread = {
      buffer: Buffer.allocUnsafe(READ_BUFFER),
      callback: (nread: number, buffer: Buffer) => sink(buffer.subarray(0, nread)),
    };
    const socket: Socket = secure
      ? tlsConnect({
          ...this.options.tls,
          host,
          port,
          servername: /^[\d.]+$|:/.test(host) ? undefined : host,
          session: this.session,
          onread,
        } as ConnectionOptions)
      : netConnect({ host, port, onread });
    if (secure) (socket as TLSSocket).on('session', (session: Buffer) => (this.session = session));
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () =>
      socket.destroy(new Error(`S3 GET ${target.pathname}: nothing received in ${IDLE_MS} ms`)),
    );
    const rangeHeader = range ? `Range: bytes=${range.start}-${range.end}\r\n` : '';
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket.write(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n${rangeHeader}` +
          'User-Agent: arca\r\nConnection: close\r\n\r\n',
      );
    });

    return new Promise((resolve, reject) => {
      let head = Buffer.alloc(0);
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(err);
      };
      const onEnd = () => fail(new Error(`S3 GET ${target.pathname}: connection closed before a response`));
      socket.once('error', fail);
      socket.once('end', onEnd);
      sink = (chunk) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_HEAD)
            fail(new Error(`S3 GET ${target.pathname}: no end of the response head`));
          return !settled;
        }
        settled = true;
        socket.off('error', fail);
        socket.off('end', onEnd);
        const parsed = parseHead(head.subarray(0, end).toString('latin1'));
        const rest = head.subarray(end + 4);
        if (parsed.status === 200 || parsed.status === 206) {
          if (parsed.chunked || parsed.length === undefined || !Number.isSafeInteger(parsed.length)) {
            socket.destroy();
            resolve(undefined);
            return false;
          }
          const body = new ObjectBody(socket, parsed.length, rest, target);
          sink = (c) => body.accept(c);
          resolve(body);
          return false; // paused until the body has a consumer
        }
        let text = rest.toString('utf8');
        const done = () => {
          socket.destroy();
          reject(new ObjectReadError(parsed.status, /<Code>([^<]+)<\/Code>/.exec(text)?.[1], target));
        };
        sink = (c) => {
          text += c.toString('utf8');
          if (text.length > MAX_HEAD) done();
          return true;
        };
        socket.once('end', done);
        socket.once('error', done);
        return true;
      };
    });
  }
}

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

/** Writes gathered bytes to a response, two buffers at most, with backpressure to the S3 socket. */
class Relay {
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
