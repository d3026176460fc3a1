import type { Readable } from 'node:stream';
import type { BucketAdmin, StorageDriver } from '../../storage/index.js';
import { assertDigest, blobPath } from '../digest.js';
import { DigestCheck } from '../digest-check.js';

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
 * otherwise the bytes stream from the source through a `DigestCheck` (bounded memory whatever the
 * size), which fails the stream before its end unless size and digest match, so the copy never
 * becomes visible with wrong bytes:
 * - into an object store, straight to the content address (`put`: a multipart upload with a few
 *   parts in flight, completed only after the last byte passed the check). A staging upload would
 *   cost a second, server-side copy of every byte at its commit. Each attempt first aborts the
 *   multipart uploads left at the address by an attempt killed midway.
 * - into a filesystem, through a resumable upload of the target (`replica-<alg>-<hex>`), renamed
 *   into place once complete. Each attempt drops the previous attempt's upload first.
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
  if (target.bucket) {
    await dropStrayUploads(target.bucket, path);
    await checkedStream(source, path, digest, size, signal, (bytes) => target.put(path, bytes));
    return 'streamed';
  }
  const key = copyUploadKey(digest);
  await target.uploads.abort(key);
  await target.uploads.start(key);
  try {
    await checkedStream(source, path, digest, size, signal, (bytes) =>
      target.uploads.append(key, 0, bytes, size),
    );
    signal?.throwIfAborted();
    await target.uploads.commit(key, path);
    return 'streamed';
  } catch (err) {
    await target.uploads.abort(key).catch(() => {});
    throw err;
  }
}

/** Hand `write` the source's bytes through a `DigestCheck`; `signal` breaks the stream off. */
async function checkedStream(
  source: StorageDriver,
  path: string,
  digest: string,
  size: number,
  signal: AbortSignal | undefined,
  write: (bytes: Readable) => Promise<unknown>,
): Promise<void> {
  const body = await source.read(path);
  const check = new DigestCheck(digest, size);
  const stop = () => body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal?.addEventListener('abort', stop, { once: true });
  body.on('error', (err) => check.destroy(err));
  try {
    await write(body.pipe(check));
  } finally {
    signal?.removeEventListener('abort', stop);
    // A write that failed midway leaves the source open: release it (a no-op once it ended).
    body.destroy();
  }
  signal?.throwIfAborted();
}

/** Abort the multipart uploads open at `path` (those of killed attempts: at most one each). */
async function dropStrayUploads(bucket: BucketAdmin, path: string): Promise<void> {
  const aborted = new Set<string>();
  for (let id = await bucket.findMultipart(path); id !== null && !aborted.has(id);) {
    aborted.add(id);
    await bucket.abortMultipart(path, id);
    id = await bucket.findMultipart(path);
  }
}
