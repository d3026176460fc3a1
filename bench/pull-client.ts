import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';

/** What the client saw of one GET. */
export interface PullReply {
  status: number;
  /** Bytes of the body. */
  bytes: number;
  /** sha256 of the body, when hashed. */
  digest?: string;
}

/*
 * The pull phases' clients. Node's HTTP client reads a socket in 64 KiB pieces into new buffers and
 * tops out near 500 MiB/s here, well below what either server sends, so it would measure itself.
 */

/** GET `url` with curl writing the body to /dev/null: a client neither server was written for. */
export function countWithCurl(url: string): Promise<PullReply> {
  return new Promise((resolve, reject) => {
    const args = ['--silent', '--show-error', '--http1.1', '--output', '/dev/null'];
    args.push('--write-out', '%{http_code} %{size_download}', url);
    const child = spawn('curl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    child.stdout.on('data', (d: Buffer) => (said += d.toString()));
    child.stderr.on('data', (d: Buffer) => (said += d.toString()));
    child.once('error', (err) =>
      reject(new Error(`curl: ${err.message} (the bench needs curl on the PATH)`)),
    );
    child.once('close', (code) => {
      const written = /(\d{3}) (\d+)\s*$/.exec(said);
      if (code !== 0 || !written) return reject(new Error(`curl ${url}: exit ${code}: ${said.trim()}`));
      resolve({ status: Number(written[1]), bytes: Number(written[2]) });
    });
  });
}

const readBuffer = Buffer.allocUnsafe(4 << 20);
const maxHead = 64 * 1024;

/**
 * GET `url` over a plain socket and hash the body as it arrives: one 4 MiB buffer reused for every
 * read (`onread`), no per-read allocation, no pipe to another process (curl into a pipe halves
 * the rate). A minimal HTTP/1.1 client for one response with a Content-Length, which is what both
 * servers send for a blob.
 */
export function hashOverSocket(url: string): Promise<PullReply> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    let head: Buffer | undefined = Buffer.alloc(0);
    let status = 0;
    let length = 0;
    let bytes = 0;
    let done = false;
    const hasher = createHash('sha256');
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      socket.destroy();
      if (err) reject(err);
      else resolve({ status, bytes, digest: `sha256:${hasher.digest('hex')}` });
    };
    const socket = connect({
      host: target.hostname,
      port: Number(target.port),
      onread: {
        buffer: readBuffer,
        callback(n, buffer) {
          let body = buffer.subarray(0, n);
          if (head) {
            head = Buffer.concat([head, body]);
            const end = head.indexOf('\r\n\r\n');
            if (end < 0) {
              if (head.length > maxHead) finish(new Error(`${url}: no end of headers in ${maxHead} bytes`));
              return !done;
            }
            const text = head.subarray(0, end).toString('latin1');
            status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
            const declared = /\r\ncontent-length:[ \t]*(\d+)/i.exec(text);
            if (!declared) {
              finish(new Error(`${url}: ${status} without Content-Length`));
              return false;
            }
            length = Number(declared[1]);
            body = head.subarray(end + 4);
            head = undefined;
          }
          bytes += body.length;
          hasher.update(body);
          if (bytes >= length)
            finish(bytes > length ? new Error(`${url}: more bytes than Content-Length`) : undefined);
          return !done;
        },
      },
    });
    socket.once('connect', () =>
      socket.write(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    socket.once('error', (err) => finish(err));
    socket.once('end', () =>
      finish(new Error(`${url}: connection closed after ${bytes} of ${length} bytes`)),
    );
  });
}
