import { AppError } from '../errors/index.js';
import type { Executor } from '../db/index.js';
import { countOpenUploads } from './store/uploads.js';

/** How many upload sessions may be open at once; each is a row and storage until completed or purged. */
export interface UploadLimits {
  perRepository: number;
  /** Per caller: a signed-in user, or the address of an anonymous one. */
  perCaller: number;
}

export const defaultUploadLimits: UploadLimits = { perRepository: 1000, perCaller: 1000 };

/**
 * TOOMANYREQUESTS when opening one more upload for `repository` by `openedBy` (null: the server's
 * own work, counted only per repository) would pass a limit. Run it in the transaction that records
 * the new upload, so that the count and the insert agree.
 */
export async function assertUploadRoom(
  tx: Executor,
  limits: UploadLimits,
  repository: string,
  openedBy: string | null,
): Promise<void> {
  const checks = [
    { limit: limits.perRepository, count: () => countOpenUploads(tx, { repository }), what: 'repository' },
    ...(openedBy === null
      ? []
      : [{ limit: limits.perCaller, count: () => countOpenUploads(tx, { openedBy }), what: 'caller' }]),
  ];
  for (const { limit, count, what } of checks) {
    if ((await count()) >= limit) {
      throw new AppError(
        'TOOMANYREQUESTS',
        `too many open uploads for this ${what} (limit ${limit}): finish or cancel some first`,
        { limit },
      );
    }
  }
}
