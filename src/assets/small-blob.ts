import { close, read } from 'node:fs';
import { promisify } from 'node:util';
import type { Distribution } from '../oci/index.js';

const readAt = promisify(read);
const closeFd = promisify(close);

/** A small blob's bytes (a config), read whole through the OCI read path; `size` bounds the read. */
export async function readSmallBlob(
  distribution: Distribution,
  repository: string,
  digest: string,
  size: number,
): Promise<Buffer> {
  const body = await distribution.blobs.read(
    repository,
    digest,
    size > 0 ? { start: 0, end: size - 1 } : undefined,
  );
  if (body.fd !== undefined) {
    try {
      const buffer = Buffer.alloc(size);
      let offset = 0;
      while (offset < size) {
        const { bytesRead } = await readAt(body.fd, buffer, offset, size - offset, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return buffer.subarray(0, offset);
    } finally {
      await closeFd(body.fd);
    }
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body.stream) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
    if (total > size) break;
  }
  body.stream.destroy();
  return Buffer.concat(chunks).subarray(0, size);
}
