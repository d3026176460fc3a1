import { AppError } from '../../errors/index.js';
import type { StorageDriver } from '../../storage/index.js';
import { assertDigest, blobPath, newHash } from '../digest.js';
import { HashTap } from '../hash-tap.js';

/** How a copy was made: it was there already, the object store copied it, or the bytes streamed through. */
export type CopyMethod = 'present' | 'server-side' | 'streamed';

/** The staging upload of a blob's copy: one per blob, so a retried copy starts by dropping the last one's. */
export function copyUploadKey(digest: string): string {
  const { algorithm, hex } = assertDigest(digest);
  return `replica-${algorithm}-${hex}`;
}

/**
 * Copy a verified blob from one location's store to another's, idempotently. Where both are
 * buckets of the same S3 endpoint the store copies it (CopyObject, UploadPartCopy above 5 GiB);
 * otherwise the bytes stream from the source into a resumable upload of the target, hashed on the
 * way (bounded memory whatever the size), and are committed to the content address only when size
 * and digest match. A copy killed midway leaves only its upload, which the next attempt drops.
 */
export async function copyBlob(
  source: StorageDriver,
  target: StorageDriver,
  digest: string,
  size: number,
  signal?: AbortSignal,
): Promise<CopyMethod> {
  const path = blobPath(digest);
  if ((await target.stat(path))?.size === size) return 'present';
  if (source.objectAddress && target.copyFrom) {
    const copied = await target.copyFrom(source.objectAddress(path), path).catch(() => false);
    if (copied && (await target.stat(path))?.size === size) return 'server-side';
  }
  signal?.throwIfAborted();
  const { algorithm } = assertDigest(digest);
  const key = copyUploadKey(digest);
  await target.uploads.abort(key);
  await target.uploads.start(key);
  try {
    const body = await source.read(path);
    const hash = newHash(algorithm);
    const tap = new HashTap(hash);
    const stop = () => body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', stop, { once: true });
    body.on('error', (err) => tap.destroy(err));
    try {
      await target.uploads.append(key, 0, body.pipe(tap), size);
    } finally {
      signal?.removeEventListener('abort', stop);
      // An append that failed midway leaves the source open: release it (a no-op once it ended).
      body.destroy();
    }
    signal?.throwIfAborted();
    const actual = `${algorithm}:${hash.digest('hex')}`;
    if (tap.bytes !== size || actual !== digest) {
      throw new AppError(
        'DIGEST_INVALID',
        `the copy of ${digest} read ${tap.bytes} bytes of digest ${actual}`,
      );
    }
    await target.uploads.commit(key, path);
    return 'streamed';
  } catch (err) {
    await target.uploads.abort(key).catch(() => {});
    throw err;
  }
}
