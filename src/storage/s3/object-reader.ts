import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { ObjectBody } from './object-body.js';
import { ObjectReadError } from './object-read-error.js';
import { MAX_HEAD, parseHead } from './response-head.js';

/** What one socket read delivers at most (a TLS record is 16 KiB). */
const READ_BUFFER = 64 * 1024;
/** An object read that receives nothing for this long fails (a wedged gateway, a lost peer). */
const IDLE_MS = 60_000;

/** How to connect: TLS options as the SDK's https agent has them (CA, verification). */
export interface ObjectReaderOptions {
  tls: ConnectionOptions;
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
