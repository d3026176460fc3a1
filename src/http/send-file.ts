import { close, read } from 'node:fs';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/** Bytes per read and per socket write: 1 MiB keeps the syscalls and thread-pool hops per GiB few. */
const chunkSize = 1 << 20;
/** Buffers one transfer holds at most: one being filled while the other is on its way out. */
const depth = 2;
/** Free buffers kept for the next transfers; more concurrent transfers allocate and let go. */
const keep = 4;
/**
 * Large buffers held at once by all transfers together (64 MiB). Beyond, a transfer reads into
 * small buffers: a client that stops reading pins at most two buffers until the idle timeout
 * closes its connection, so many stalled readers cannot hold a large buffer each.
 */
const budget = 64;
/** A file smaller than this is read into a buffer of its own size, not a pooled one. */
const small = 64 * 1024;

const free: Buffer[] = [];
/** Large buffers referenced by transfers or by `free`. */
let largeInUse = 0;

/** Bytes of an open file to send: `length` bytes from `start`. */
export interface FileSlice {
  fd: number;
  start: number;
  length: number;
}

function take(left: number): Buffer {
  if (left < small) return Buffer.allocUnsafe(left);
  const pooled = free.pop();
  if (pooled) return pooled;
  if (largeInUse >= budget) return Buffer.allocUnsafeSlow(small);
  largeInUse++;
  return Buffer.allocUnsafeSlow(chunkSize);
}

function release(buffer: Buffer): void {
  if (buffer.length !== chunkSize) return;
  if (free.length < keep) free.push(buffer);
  else largeInUse--;
}

function noop(): void {}

/**
 * Send the reply's status and headers, then `file`'s bytes, outside Fastify's stream path: read
 * with `fs.read` into a few buffers reused for the whole transfer (and across transfers), write
 * with `res.write(buffer, callback)`, and refill a buffer only after its write has completed. A
 * stream would allocate a fresh buffer per chunk, and with large chunks the external memory makes
 * V8 run full garbage collections over the whole heap, which cost more than moving the bytes.
 *
 * Takes ownership of `file.fd`: it is closed when the last byte is read, when the client goes
 * away, or when a read fails (the connection is then destroyed, as the headers are already out).
 * Fastify's onResponse hooks still run, on the response's 'finish'.
 */
export function sendFile(reply: FastifyReply, file: FileSlice): void {
  try {
    takeOver(reply);
  } catch (err) {
    close(file.fd, noop);
    throw err;
  }
  pump(reply.raw, file, (err) => reply.log.error({ err }, 'blob read failed after the headers were sent'));
}

/** Storage that writes a body to the response itself, with buffers it reuses (S3's object reader). */
export interface Relayable {
  relayTo(res: ServerResponse, onError: (err: Error) => void): void;
}

export function isRelayable(body: unknown): body is Relayable {
  return typeof (body as Partial<Relayable> | undefined)?.relayTo === 'function';
}

/** Send the reply's status and headers, then let `body` write itself, outside Fastify's stream path. */
export function sendRelayed(reply: FastifyReply, body: Relayable & { destroy(): void }): void {
  try {
    takeOver(reply);
  } catch (err) {
    body.destroy();
    throw err;
  }
  body.relayTo(reply.raw, (err) => reply.log.error({ err }, 'blob read failed after the headers were sent'));
}

/** Status and headers set on the raw response (sent with the first bytes); Fastify lets go of it. */
function takeOver(reply: FastifyReply): void {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name] = value;
  }
  reply.raw.writeHead(reply.statusCode, headers); // sends nothing yet: the head goes out with the first bytes
  reply.hijack();
}

function pump(res: ServerResponse, file: FileSlice, onError: (err: Error) => void): void {
  const { fd } = file;
  let position = file.start;
  /** Bytes still to read. */
  let left = file.length;
  let reading = false;
  /** The client went away or a read failed: read nothing more. */
  let stopped = false;
  let open = true;
  /** Buffers of this transfer whose writes have completed. */
  const spare: Buffer[] = [];
  let held = 0;

  // Never while a read is in flight: the descriptor number could be reused under it.
  const closeFile = () => {
    if (open && !reading) {
      open = false;
      close(fd, noop);
    }
  };
  const stop = () => {
    stopped = true;
    closeFile();
    for (const buffer of spare.splice(0)) release(buffer);
  };

  const next = (): void => {
    if (stopped || reading || left === 0) return;
    let buffer = spare.pop();
    if (!buffer) {
      if (held === depth) return; // a write callback calls next()
      held++;
      buffer = take(left);
    }
    const target = buffer;
    reading = true;
    read(fd, target, 0, Math.min(target.length, left), position, (err, bytes) => {
      reading = false;
      if (stopped) {
        release(target);
        closeFile();
        return;
      }
      if (err || bytes === 0) {
        release(target);
        stop();
        onError(err ?? new Error(`file ended ${left} bytes early`));
        res.destroy();
        return;
      }
      position += bytes;
      left -= bytes;
      // Corked, the head goes out with the first bytes, and a small blob in one write.
      const socket = res.socket;
      socket?.cork();
      res.write(bytes === target.length ? target : target.subarray(0, bytes), (writeError) => {
        if (writeError || stopped || left === 0) {
          release(target);
          if (writeError) stop();
          return;
        }
        spare.push(target);
        next();
      });
      if (left === 0) {
        closeFile();
        res.end();
      }
      socket?.uncork();
      next();
    });
  };

  res.once('close', stop);
  if (res.destroyed) stop();
  else if (left === 0) {
    closeFile();
    res.end();
  } else next();
}
