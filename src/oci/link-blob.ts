import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { ensureRepository } from './store/repositories.js';
import { linkBlob } from './store/blobs.js';
import { recordBlobLocation } from './store/blob-locations.js';
import { lockBlobs } from './gc/locks.js';
import { queueBlobReviews } from './gc/review-queue.js';
import type { Executor } from '../db/index.js';

/**
 * Record a verified blob held by `location` and link it into `repository` (created if new), in one
 * transaction: every way a blob becomes visible in a repository (a committed upload, a mount, an
 * adoption) goes through here, so there is one write for garbage collection to reason about.
 * `alsoInTransaction` lets the caller retire its own record (an upload's row) atomically with the link.
 *
 * The blob's review is pushed forward (a re-reference keeps it for another grace period) and its row
 * is locked: a GC review of it either committed first (the row is gone, and made again here) or waits
 * for this link and then sees it. With `requireHeld`, nothing is written unless `location` still
 * holds the bytes once locked (a mount, or an upload whose bytes are stored already): false then, and
 * the caller stores the bytes itself.
 */
export async function linkBlobInto(
  db: Kysely<Database>,
  repository: string,
  digest: string,
  size: number,
  location: string,
  alsoInTransaction?: (tx: Executor) => Promise<void>,
  options: { requireHeld?: boolean } = {},
): Promise<boolean> {
  const now = Date.now();
  return db.transaction().execute(async (tx) => {
    // Review row first, then the blob's: the order a GC review takes them in, so neither waits on the other in a cycle.
    await queueBlobReviews(tx, [digest], now);
    if (options.requireHeld) {
      if ((await lockBlobs(tx, [digest], 'share')).size === 0) return false;
      const held = await tx
        .selectFrom('blob_locations')
        .select('digest')
        .where('location', '=', location)
        .where('digest', '=', digest)
        .executeTakeFirst();
      if (!held) return false;
    } else {
      // A GC that deleted the row while this waited leaves nothing to lock: record the blob anew.
      for (let attempt = 0; attempt < 3; attempt++) {
        await linkBlob(tx, repository, digest, size, now);
        if ((await lockBlobs(tx, [digest], 'share')).size > 0) break;
      }
    }
    await ensureRepository(tx, repository, now);
    // Links are made only where the bytes are: the repository's store, which `location` names.
    await linkBlob(tx, repository, digest, size, now);
    await recordBlobLocation(tx, location, digest, now);
    await alsoInTransaction?.(tx);
    return true;
  });
}
