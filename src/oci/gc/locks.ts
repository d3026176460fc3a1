import { SqliteAdapter } from 'kysely';
import type { Executor } from '../../db/index.js';

/**
 * Whether row locks are needed: on PostgreSQL transactions run side by side and the rows GC and a
 * writer both touch are locked; on SQLite a process has one connection, so its transactions run one
 * at a time (the single writer) and the locks are simply not taken.
 */
export function takesRowLocks(db: Executor): boolean {
  return !(db.getExecutor().adapter instanceof SqliteAdapter);
}

/**
 * Of the given blobs, those that still exist, their rows locked (shared) until the transaction ends:
 * a GC review of one of them waits, and one that GC deleted first is missing from the answer.
 */
export async function lockBlobs(
  db: Executor,
  digests: string[],
  mode: 'share' | 'update',
): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  let query = db
    .selectFrom('blobs')
    .select('digest')
    .where('digest', 'in', [...digests].sort())
    .orderBy('digest');
  if (takesRowLocks(db)) query = mode === 'share' ? query.forShare() : query.forUpdate();
  return new Set((await query.execute()).map((r) => r.digest));
}

/** Of a repository's given manifests, those that still exist, their rows locked until the transaction ends. */
export async function lockManifests(
  db: Executor,
  repository: string,
  digests: string[],
  mode: 'share' | 'update',
): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  let query = db
    .selectFrom('manifests')
    .select('digest')
    .where('repository', '=', repository)
    .where('digest', 'in', [...digests].sort())
    .orderBy('digest');
  if (takesRowLocks(db)) query = mode === 'share' ? query.forShare() : query.forUpdate();
  return new Set((await query.execute()).map((r) => r.digest));
}
