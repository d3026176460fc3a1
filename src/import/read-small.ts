import type { SourceTree } from './source.js';

/** A small object (a link, a manifest) whole; refuses to hold more than `limit` bytes. */
export async function readSmall(source: SourceTree, path: string, limit: number): Promise<Buffer> {
  const stream = await source.read(path);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new Error(`larger than ${limit} bytes`);
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}
