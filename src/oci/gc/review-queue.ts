import { sql } from 'kysely';
import type { Executor } from '../../db/index.js';
import { takesRowLocks } from './locks.js';

/**
 * Queue blobs for review as of `since`. A blob already queued keeps the later of the two times: a
 * re-reference pushes its review forward, never back. Written in the transaction that unlinks (or
 * re-links) the blob, so the queue is exactly as current as the links.
 */
export async function queueBlobReviews(
  db: Executor,
  digests: Iterable<string>,
  since: number,
): Promise<void> {
  const unique = [...new Set(digests)].sort();
  if (unique.length === 0) return;
  await db
    .insertInto('gc_blob_reviews')
    .values(unique.map((digest) => ({ digest, since })))
    .onConflict((oc) =>
      oc.column('digest').doUpdateSet({
        since: sql`case when excluded.since > gc_blob_reviews.since then excluded.since else gc_blob_reviews.since end`,
      }),
    )
    .execute();
}

/** Queue a repository's manifests for review as of `since` (the later time wins, as for blobs). */
export async function queueManifestReviews(
  db: Executor,
  repository: string,
  digests: Iterable<string>,
  since: number,
): Promise<void> {
  const unique = [...new Set(digests)].sort();
  if (unique.length === 0) return;
  await db
    .insertInto('gc_manifest_reviews')
    .values(unique.map((digest) => ({ repository, digest, since })))
    .onConflict((oc) =>
      oc.columns(['repository', 'digest']).doUpdateSet({
        since: sql`case when excluded.since > gc_manifest_reviews.since then excluded.since else gc_manifest_reviews.since end`,
      }),
    )
    .execute();
}

/** Blobs whose review is due (queued before `cutoff`), oldest first. */
export async function dueBlobReviews(db: Executor, cutoff: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('gc_blob_reviews')
    .select('digest')
    .where('since', '<', cutoff)
    .orderBy('since')
    .limit(limit)
    .execute();
  return rows.map((r) => r.digest);
}

/** Manifests whose review is due, oldest first. */
export async function dueManifestReviews(
  db: Executor,
  cutoff: number,
  limit: number,
): Promise<{ repository: string; digest: string }[]> {
  return db
    .selectFrom('gc_manifest_reviews')
    .select(['repository', 'digest'])
    .where('since', '<', cutoff)
    .orderBy('since')
    .limit(limit)
    .execute();
}

/**
 * Claim a blob's review inside the reviewing transaction: its `since`, or undefined when another
 * reviewer holds it (PostgreSQL: SKIP LOCKED) or it is gone. The row stays locked until the end.
 */
export async function claimBlobReview(db: Executor, digest: string): Promise<number | undefined> {
  let query = db.selectFrom('gc_blob_reviews').select('since').where('digest', '=', digest);
  if (takesRowLocks(db)) query = query.forUpdate().skipLocked();
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : Number(row.since);
}

/** Claim a manifest's review, as `claimBlobReview`. */
export async function claimManifestReview(
  db: Executor,
  repository: string,
  digest: string,
): Promise<number | undefined> {
  let query = db
    .selectFrom('gc_manifest_reviews')
    .select('since')
    .where('repository', '=', repository)
    .where('digest', '=', digest);
  if (takesRowLocks(db)) query = query.forUpdate().skipLocked();
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : Number(row.since);
}

export async function dropBlobReview(db: Executor, digest: string): Promise<void> {
  await db.deleteFrom('gc_blob_reviews').where('digest', '=', digest).execute();
}

export async function dropManifestReview(db: Executor, repository: string, digest: string): Promise<void> {
  await db
    .deleteFrom('gc_manifest_reviews')
    .where('repository', '=', repository)
    .where('digest', '=', digest)
    .execute();
}
