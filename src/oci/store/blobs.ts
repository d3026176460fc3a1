import { PreparedQuery, type Executor } from '../../db/index.js';

/** Record a verified blob (idempotent) and link it into a repository. */
export async function linkBlob(db: Executor, repository: string, digest: string, size: number, now: number) {
  await db
    .insertInto('blobs')
    .values({ digest, size, created_at: now })
    .onConflict((oc) => oc.column('digest').doNothing())
    .execute();
  await db
    .insertInto('repository_blobs')
    .values({ repository, digest, created_at: now })
    .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing())
    .execute();
}

const linkedSize = new PreparedQuery<{ size: number }>((db) =>
  db
    .selectFrom('repository_blobs as rb')
    .innerJoin('blobs as b', 'b.digest', 'rb.digest')
    .select('b.size')
    .where('rb.repository', '=', '?repository')
    .where('rb.digest', '=', '?digest'),
);

/** Size of a blob as seen from a repository, or undefined if the repository has no link to it. */
export async function linkedBlobSize(
  db: Executor,
  repository: string,
  digest: string,
): Promise<number | undefined> {
  return (await linkedSize.first(db, [repository, digest]))?.size;
}

/** Sizes of the given blobs linked into a repository, keyed by digest. */
export async function linkedBlobSizes(
  db: Executor,
  repository: string,
  digests: string[],
): Promise<Map<string, number>> {
  if (digests.length === 0) return new Map();
  const rows = await db
    .selectFrom('repository_blobs as rb')
    .innerJoin('blobs as b', 'b.digest', 'rb.digest')
    .select(['b.digest', 'b.size'])
    .where('rb.repository', '=', repository)
    .where('rb.digest', 'in', digests)
    .execute();
  return new Map(rows.map((r) => [r.digest, r.size]));
}

export async function unlinkBlob(db: Executor, repository: string, digest: string): Promise<boolean> {
  const result = await db
    .deleteFrom('repository_blobs')
    .where('repository', '=', repository)
    .where('digest', '=', digest)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
