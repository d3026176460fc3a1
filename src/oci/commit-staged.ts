import type { Kysely } from 'kysely';
import { AppError } from '../errors/index.js';
import type { Database } from '../db/index.js';
import { assertDigest, blobPath, type DigestAlgorithm } from './digest.js';
import { linkBlobInto } from './link-blob.js';
import type { Executor } from '../db/index.js';
import type { BlobStore } from './stores.js';
import type { BlobObservers } from './blob-observers.js';

/**
 * An upload whose bytes are all in the staging area of a repository's store, whatever brought them
 * there (a client's chunks through /v2, a browser's PUT to a presigned URL). Each kind of upload
 * says how to measure, move and drop its bytes; `commitStaged` decides what happens when.
 */
export interface StagedUpload {
  /** Size and digest (in `algorithm`) of the staged bytes; BLOB_UPLOAD_UNKNOWN when there are none. */
  measure(algorithm: DigestAlgorithm): Promise<{ size: number; digest: string }>;
  /** Move the staged bytes to `path`, their content address in the same store. */
  moveTo(path: string): Promise<void>;
  /** Drop the staged bytes only: the same blob is stored already. */
  dropBytes(): Promise<void>;
  /** Drop the bytes and any record of the upload: it was refused. */
  discard(): Promise<void>;
  /** Retire the upload's record in the transaction that links the blob, when it has one. */
  forget?(tx: Executor): Promise<void>;
}

/**
 * The one verify-and-commit step of every upload: check the staged bytes against the digest the
 * client claims (refused uploads are discarded: DIGEST_INVALID), move them to the content address
 * unless the store holds that blob already, then record the blob and link it into the repository.
 * Returns the blob's size.
 */
export async function commitStaged(
  db: Kysely<Database>,
  store: BlobStore,
  repository: string,
  staged: StagedUpload,
  digest: string,
  observers?: BlobObservers,
): Promise<number> {
  const parsed = assertDigest(digest);
  const measured = await staged.measure(parsed.algorithm);
  if (measured.digest !== digest) {
    await staged.discard();
    throw new AppError('DIGEST_INVALID', 'provided digest did not match uploaded content', {
      digest,
      actual: measured.digest,
    });
  }
  const path = blobPath(digest);
  const link = (held?: (tx: Executor) => Promise<boolean>) =>
    linkBlobInto(
      db,
      repository,
      digest,
      measured.size,
      store.location,
      async (tx) => {
        await staged.forget?.(tx);
      },
      observers && { set: observers, via: 'upload' },
      { held },
    );
  // Stored already: link it only if the bytes are still there once the blob's row is locked (a
  // garbage collection deleting them has then finished, and they are stored again below).
  const existing = await store.driver.stat(path);
  const storedNow = async () => {
    if ((await store.driver.stat(path))?.size !== measured.size) return false;
    await staged.dropBytes();
    return true;
  };
  if (existing?.size === measured.size && (await link(storedNow))) return measured.size;
  await staged.moveTo(path);
  await link();
  return measured.size;
}
