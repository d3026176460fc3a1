import { read, close } from 'node:fs';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import type { Distribution } from '../oci/index.js';
import type { FileRow } from './store/versions.js';
import { endOfArchive, fileHeader, padding } from './tar-header.js';

const readAt = promisify(read);
const closeFd = promisify(close);
const chunk = 1 << 20;

/** The archive's exact length, known before a byte is sent (Content-Length). */
export function archiveLength(files: readonly FileRow[]): number {
  let total = endOfArchive.length;
  for (const f of files)
    total += fileHeader(f.path!, Number(f.size)).length + Number(f.size) + padding(Number(f.size));
  return total;
}

async function* fileBytes(
  distribution: Distribution,
  repository: string,
  f: FileRow,
): AsyncGenerator<Buffer> {
  const size = Number(f.size);
  if (size === 0) return;
  const body = await distribution.blobs.read(repository, f.digest, { start: 0, end: size - 1 });
  if (body.fd === undefined) {
    let sent = 0;
    for await (const part of body.stream) {
      const buffer = part as Buffer;
      const take = buffer.subarray(0, Math.max(0, size - sent));
      sent += take.length;
      yield take;
      if (sent >= size) break;
    }
    body.stream.destroy();
    if (sent !== size) throw new Error(`blob ${f.digest} ended after ${sent} of ${size} bytes`);
    return;
  }
  try {
    let offset = 0;
    while (offset < size) {
      const buffer = Buffer.allocUnsafe(Math.min(chunk, size - offset));
      const { bytesRead } = await readAt(body.fd, buffer, 0, buffer.length, offset);
      if (bytesRead === 0) throw new Error(`blob ${f.digest} ended after ${offset} of ${size} bytes`);
      offset += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await closeFd(body.fd);
  }
}

/**
 * A version as a tar stream, file after file in layer order, each read from its blob as it is sent
 * (never a whole file in memory; the stream's backpressure paces the reads).
 */
export function archiveStream(
  distribution: Distribution,
  repository: string,
  files: readonly FileRow[],
): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for (const f of files) {
      yield fileHeader(f.path!, Number(f.size));
      yield* fileBytes(distribution, repository, f);
      const pad = padding(Number(f.size));
      if (pad > 0) yield Buffer.alloc(pad);
    }
    yield endOfArchive;
  }
  return Readable.from(generate(), { objectMode: false, highWaterMark: chunk });
}
