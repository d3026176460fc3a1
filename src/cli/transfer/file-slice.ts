import { createReadStream } from 'node:fs';
import { readBufferSize } from './hash-file.js';

/**
 * Bytes [start, end] of a file as a request body, each slice counted as the HTTP client takes it.
 * Counting by pulling (not by a `data` listener) matters: a listener would start the stream flowing
 * before fetch reads it, and a slice read in that gap would never be sent — the request would go
 * out short, and the server keep a chunk from the wrong offset.
 */
export async function* fileSlice(
  source: string,
  start: number,
  end: number,
  onBytes: (n: number) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(source, { start, end, highWaterMark: readBufferSize })) {
    onBytes((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}
