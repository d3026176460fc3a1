import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { ociTargetOf } from './oci-router.js';

/** How long the server waits on a client, and how many connections one address may hold. */
export interface ClientLimits {
  /** A request's headers must be complete within this (Node's headersTimeout): trickled headers are cut. */
  headerTimeoutMs: number;
  /** A request body the server reads whole (JSON, manifests) must be complete within this. Blob uploads are exempt: they may take hours. */
  requestTimeoutMs: number;
  /** While the server waits on the client (a body to read, a response the client does not read), no byte moved for this long: the connection is closed. */
  idleTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open connections per client address; 0: no limit. */
  maxConnectionsPerAddress: number;
}

/** The options Node's HTTP server takes for the limits it enforces itself. */
export function serverTimeouts(limits: ClientLimits): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
  keepAliveTimeout: number;
} {
  return {
    headersTimeout: limits.headerTimeoutMs,
    // Never a total request time: an upload of many GB takes as long as it takes. Stalls are
    // caught by the idle check instead, and bodies read whole by requestTimeoutMs.
    requestTimeout: 0,
    // How often Node looks for expired headers: often enough that the timeout is what it says.
    connectionsCheckingInterval: checkInterval(limits.headerTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  };
}

function checkInterval(timeoutMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(timeoutMs / 4)));
}

/** A request in progress and the bytes its connection had moved when last seen. */
interface Watched {
  req: IncomingMessage;
  started: number;
  /** Blob uploads: only the idle check applies. */
  streamed: boolean;
  read: number;
  sent: number;
  since: number;
}

/** Bytes the connection has handed to the kernel (written, minus what still waits in Node's buffer). */
function sent(socket: Socket): number {
  return socket.bytesWritten - socket.writableLength;
}

/** A blob upload's body is streamed to storage for as long as it takes; other bodies are read whole. */
function isStreamedUpload(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?', 1)[0]!;
  if (!path.startsWith('/v2/') || req.method === 'GET' || req.method === 'HEAD') return false;
  const kind = ociTargetOf(path)?.kind;
  return kind === 'upload' || kind === 'uploads';
}

const refusalBody = JSON.stringify({
  errors: [{ code: 'TOOMANYREQUESTS', message: 'too many connections from this address', detail: null }],
});
const tooManyConnections =
  'HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nConnection: close\r\n' +
  `Content-Length: ${Buffer.byteLength(refusalBody)}\r\n\r\n${refusalBody}`;

/**
 * Bound what a slow or stalled client can hold: its connections per address, and how long the
 * server waits on it. Node enforces the header and keep-alive timeouts (`serverTimeouts`); one
 * sweep over the requests in progress enforces the rest, costing nothing per byte:
 * - a request the server waits on (a body it would read, or response bytes queued that the client
 *   does not take) closes when no byte moved for `idleTimeoutMs`: a client that stops reading a
 *   blob releases its file descriptor and buffers (send-file.ts stops on 'close');
 * - a body read whole (not a blob upload) must be complete within `requestTimeoutMs`, so a body
 *   trickled a byte at a time cannot hold a connection forever.
 * A server busy on its own (a slow query, a copy in storage) is never cut. Returns the stopper.
 */
export function limitClients(
  server: Server,
  limits: ClientLimits,
  options: { tls: boolean; log: FastifyBaseLogger },
): () => void {
  const perAddress = new Map<string, number>();
  if (limits.maxConnectionsPerAddress > 0) {
    server.on('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? '';
      const open = (perAddress.get(address) ?? 0) + 1;
      if (open > limits.maxConnectionsPerAddress) {
        // A TLS client cannot read a plain answer; an HTTP client gets a 429 it can show.
        if (options.tls) socket.destroy();
        else socket.end(tooManyConnections);
        return;
      }
      perAddress.set(address, open);
      socket.once('close', () => {
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left <= 0) perAddress.delete(address);
        else perAddress.set(address, left);
      });
    });
  }

  const watched = new Set<Watched>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const now = Date.now();
    const entry: Watched = {
      req,
      started: now,
      streamed: isStreamedUpload(req),
      read: req.socket.bytesRead,
      sent: sent(req.socket),
      since: now,
    };
    watched.add(entry);
    res.once('close', () => watched.delete(entry));
  });

  const sweep = () => {
    const now = Date.now();
    for (const entry of watched) {
      const { req } = entry;
      const socket = req.socket;
      if (socket.destroyed) {
        watched.delete(entry);
        continue;
      }
      const read = socket.bytesRead;
      const out = sent(socket);
      // Waiting on the client: for body bytes while there is room to take them, or for it to
      // read what is queued. A full read buffer means the server is the slow side.
      const waitingForBody = !req.complete && req.readableLength < req.readableHighWaterMark;
      const waitingForReader = socket.writableLength > 0;
      if (read !== entry.read || out !== entry.sent || !(waitingForBody || waitingForReader)) {
        entry.read = read;
        entry.sent = out;
        entry.since = now;
      } else if (now - entry.since > limits.idleTimeoutMs) {
        close(entry, 'idle: no bytes moved while waiting on the client');
        continue;
      }
      if (!entry.streamed && !req.complete && now - entry.started > limits.requestTimeoutMs) {
        close(entry, 'the request body took longer than the request timeout');
      }
    }
  };
  const close = (entry: Watched, reason: string) => {
    watched.delete(entry);
    options.log.info(
      { remote: entry.req.socket.remoteAddress, url: entry.req.url, reason },
      'connection closed',
    );
    entry.req.socket.destroy();
  };
  const timer = setInterval(sweep, checkInterval(Math.min(limits.idleTimeoutMs, limits.requestTimeoutMs)));
  timer.unref();
  return () => clearInterval(timer);
}
