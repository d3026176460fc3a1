import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { errorCode, httpStatus } from './errors.js';

/** Bytes handed to the socket per write. */
const SLICE = 256 * 1024;
/** Attempts per request, as the SDK's standard retry strategy makes for a body it can replay. */
const ATTEMPTS = 3;
const SHA256_HEADER = 'x-amz-content-sha256';

/**
 * A part or object body that the SDK streams in slices. Given a whole Buffer, the SDK's HTTP
 * handler writes it to the socket in one call, and Node's TLS layer then encrypts all of it at once
 * into memory of its own, outside the V8 heap: every 10 MiB part cost 10 MiB more, freed into
 * malloc arenas that keep it (with 1 MiB PATCHes to S3, about 50 MB of Arca's RSS). Written a slice
 * at a time with backpressure, the ciphertext waiting for the socket stays near a slice. The
 * payload is still signed: its SHA-256 (what the SDK computes for a Buffer) goes in the header
 * SigV4 reads before it would fall back to `UNSIGNED-PAYLOAD` for a stream.
 */
export class BufferBody extends Readable {
  private at = 0;

  constructor(
    private readonly buffer: Buffer,
    readonly sha256: string,
  ) {
    super({ highWaterMark: SLICE });
  }

  override _read(): void {
    if (this.at >= this.buffer.length) {
      this.push(null);
      return;
    }
    const end = Math.min(this.at + SLICE, this.buffer.length);
    // A view, not a copy: the buffer outlives the request (the caller keeps it until it settles).
    this.push(this.buffer.subarray(this.at, end));
    this.at = end;
  }
}

/** Sets the signed payload hash of requests whose body is a BufferBody (before SigV4 signs them). */
export function signBufferBodies(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown; headers?: Record<string, string> };
      if (request.body instanceof BufferBody && request.headers) {
        request.headers[SHA256_HEADER] = request.body.sha256;
      }
      return next(args);
    },
    { step: 'build', name: 'arcaBufferBodyHash' },
  );
}

/** Worth another attempt: no answer (network, timeout), throttling, or a server error. */
function transient(err: unknown): boolean {
  if ((err as Error)?.name === 'AbortError') return false;
  const status = httpStatus(err);
  if (status === undefined) return errorCode(err) !== undefined;
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Send a request whose body is `buffer`, as a BufferBody. The SDK never retries a streamed body
 * (it cannot be replayed), so the retries it made for a Buffer are made here, each with a fresh
 * stream over the same bytes.
 */
export async function sendBuffer<T>(buffer: Buffer, send: (body: BufferBody) => Promise<T>): Promise<T> {
  const sha256 = createHash('sha256').update(buffer).digest('hex');
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(new BufferBody(buffer, sha256));
    } catch (err) {
      if (attempt >= ATTEMPTS || !transient(err)) throw err;
      await sleep(100 * 2 ** attempt);
    }
  }
}
