import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { ensureRepository } from './store/repositories.js';
import { linkBlob } from './store/blobs.js';
import { recordBlobLocation } from './store/blob-locations.js';
import type { Executor } from '../db/index.js';
import { lockBlobs } from './gc/locks.js';
import { queueBlobReviews } from './gc/review-queue.js';
import type { BlobLink, BlobObservers } from './blob-observers.js';

/**
 * Record a verified blob held by `location` and link it into `repository` (created if new), in one
 * transaction: every way a blob becomes visible in a repository (a committed upload, a mount, an
 * adoption) goes through here, so there is one write for garbage collection to reason about.
 * `alsoInTransaction` lets the caller retire its own record (an upload's row) atomically with the link;
 * `observers` learn of the link inside the transaction and after it (`via` says how it came).
 *
 * The blob's GC review is pushed forward (a re-reference keeps it for another grace period) and its
 * row is locked: a review of it either committed first (the row is gone, and made again here) or
 * waits for this link and then sees it. With `held`, checked once the row is locked, nothing is
 * written unless the location still holds the bytes (a mount, or an upload whose bytes are stored
 * already): false then, and the caller stores the bytes itself.
 */
export async function linkBlobInto(
  db: Kysely<Database>,
  repository: string,
  digest: string,
  size: number,
  location: string,
  alsoInTransaction?: (tx: Executor) => Promise<void>,
  observers?: { set: BlobObservers; via: BlobLink['via']; from?: string },
  options: { held?: (tx: Executor) => Promise<boolean> } = {},
): Promise<boolean> {
  const now = Date.now();
  const set = observers?.set;
  const link: BlobLink | undefined = observers && {
    repository,
    digest,
    size,
    location,
    via: observers.via,
    ...(observers.from !== undefined ? { from: observers.from } : {}),
  };
  try {
    await db.transaction().execute(async (tx) => {
      // Review row first, then the blob's: the order a GC review takes them in, so neither waits on the other in a cycle.
      await queueBlobReviews(tx, [digest], now);
      // A GC review that deleted the row while this waited leaves nothing to lock: record the blob anew.
      for (let attempt = 0; attempt < 3; attempt++) {
        await tx
          .insertInto('blobs')
          .values({ digest, size, created_at: now })
          .onConflict((oc) => oc.column('digest').doNothing())
          .execute();
        if ((await lockBlobs(tx, [digest], 'share')).size > 0) break;
      }
      if (options.held && !(await options.held(tx))) throw notHeld;
      await ensureRepository(tx, repository, now);
      // Links are made only where the bytes are: the repository's store, which `location` names.
      await linkBlob(tx, repository, digest, size, now);
      await recordBlobLocation(tx, location, digest, now);
      await alsoInTransaction?.(tx);
      if (link) await set?.inLink(tx, link);
    });
  } catch (err) {
    if (err === notHeld) return false;
    throw err;
  }
  if (link) await set?.afterLink(link);
  return true;
}

const notHeld = new Error('the location does not hold the blob');

/** `held` for a link of bytes the location has recorded (a mount, an adoption). */
export function heldByRow(location: string, digest: string) {
  return async (tx: Executor) =>
    (await tx
      .selectFrom('blob_locations')
      .select('digest')
      .where('location', '=', location)
      .where('digest', '=', digest)
      .executeTakeFirst()) !== undefined;
}
