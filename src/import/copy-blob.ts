import { Transform, type TransformCallback } from 'node:stream';
import type { UploadService } from '../oci/index.js';
import { blobDataPath } from './layout.js';
import type { SourceTree } from './source.js';

/** Reports bytes as they pass, for the progress bar. */
class ByteCounter extends Transform {
  constructor(private readonly onBytes: (n: number) => void) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.onBytes(chunk.length);
    callback(null, chunk);
  }
}

/**
 * Stream a blob of the source into a repository through the upload path a push takes: hashed on
 * the way, accepted only when its digest and size match, stored once, then linked. A mismatch
 * (a corrupt source copy) throws DIGEST_INVALID or SIZE_INVALID and leaves nothing behind.
 */
export async function copyBlob(
  source: SourceTree,
  uploads: UploadService,
  repository: string,
  digest: string,
  size: number | undefined,
  onBytes: (n: number) => void,
): Promise<void> {
  const input = await source.read(blobDataPath(digest));
  const counter = new ByteCounter(onBytes);
  input.once('error', (err) => counter.destroy(err));
  input.pipe(counter);
  try {
    await uploads.monolithic(repository, digest, counter, size);
  } finally {
    input.destroy();
  }
}
