import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Read size of file streams: large enough for few system calls, small enough to keep memory flat. */
export const readBufferSize = 1024 * 1024;

/** `sha256:<hex>` of a file, read once as a stream; `onBytes` sees each slice as it is hashed. */
export async function hashFile(
  path: string,
  onBytes?: (n: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: readBufferSize, signal })) {
    hash.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return `sha256:${hash.digest('hex')}`;
}
