import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { ensureRepository } from './store/repositories.js';
import { linkBlob } from './store/blobs.js';
import { recordBlobLocation } from './store/blob-locations.js';
import type { Executor } from '../db/index.js';
import type { BlobLink, BlobObservers } from './blob-observers.js';

/**
 * Record a verified blob held by `location` and link it into `repository` (created if new), in one
 * transaction: every way a blob becomes visible in a repository (a committed upload, a mount, an
 * adoption) goes through here, so there is one write for garbage collection to reason about.
 * `alsoInTransaction` lets the caller retire its own record (an upload's row) atomically with the link;
 * `observers` learn of the link inside the transaction and after it (`via` says how it came).
 */
export async function linkBlobInto(
  db: Kysely<Database>,
  repository: string,
  digest: string,
  size: number,
  location: string,
  alsoInTransaction?: (tx: Executor) => Promise<void>,
  observers?: { set: BlobObservers; via: BlobLink['via']; from?: string },
): Promise<void> {
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
  await db.transaction().execute(async (tx) => {
    await ensureRepository(tx, repository, now);
    // Links are made only where the bytes are: the repository's store, which `location` names.
    await linkBlob(tx, repository, digest, size, now);
    await recordBlobLocation(tx, location, digest, now);
    await alsoInTransaction?.(tx);
    if (link) await set?.inLink(tx, link);
  });
  if (link) await set?.afterLink(link);
}
