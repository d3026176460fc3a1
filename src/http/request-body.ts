import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors/index.js';
import type { ChunkRange } from '../oci/index.js';

/** Beyond this many unread bytes a refused body is not drained: the connection is closed instead. */
const maxDiscard = 64 * 1024 * 1024;

/**
 * Read a small body (a manifest) into memory, refusing more than `limit` bytes. A refused body is
 * read and thrown away (up to a bound) so the client, still sending, gets to read the 413.
 */
export async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooBig = () =>
    new AppError('PAYLOAD_TOO_LARGE', `manifest is larger than the limit of ${limit} bytes`, { limit });
  const declared = contentLength(req);
  const chunks: Buffer[] = [];
  let total = 0;
  let refused = declared !== undefined && declared > limit;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) refused = true;
    if (refused) {
      if (total > limit + maxDiscard) break;
      continue;
    }
    chunks.push(chunk as Buffer);
  }
  if (refused) throw tooBig();
  return Buffer.concat(chunks, total);
}

export function contentLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new AppError('SIZE_INVALID', 'invalid Content-Length');
  return n;
}

/** Whether a request carries a body at all. */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** An upload chunk's Content-Range: `<start>-<end>`, also accepted with a `bytes ` or `bytes=` prefix. */
export function parseContentRange(value: string | undefined): ChunkRange | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(value.trim());
  if (!m) throw new AppError('BLOB_UPLOAD_RANGE_INVALID', 'invalid Content-Range', { value });
  const range = { start: Number(m[1]), end: Number(m[2]) };
  if (range.end < range.start) {
    throw new AppError('BLOB_UPLOAD_RANGE_INVALID', 'invalid Content-Range', { value });
  }
  return range;
}

/**
 * A blob GET's Range header against a blob of `size` bytes: undefined for the whole blob,
 * or the inclusive byte range. Only single ranges are served; anything unsatisfiable is a 416.
 */
export function parseByteRange(value: string | undefined, size: number): ChunkRange | undefined {
  if (value === undefined) return undefined;
  const unsatisfiable = () =>
    new AppError(
      'RANGE_NOT_SATISFIABLE',
      'requested range not satisfiable',
      { range: value },
      {
        headers: { 'Content-Range': `bytes */${size}` },
      },
    );
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable();
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable();
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) throw unsatisfiable();
  return { start, end };
}
