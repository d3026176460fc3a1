import { sql } from 'kysely';
import { queueBlobReviews } from '../gc/review-queue.js';
import type { Executor } from '../../db/index.js';

export async function ensureRepository(db: Executor, name: string, now: number): Promise<void> {
  await db
    .insertInto('repositories')
    .values({ name, created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

export async function repositoryExists(db: Executor, name: string): Promise<boolean> {
  const row = await db.selectFrom('repositories').select('name').where('name', '=', name).executeTakeFirst();
  return row !== undefined;
}

/** Repository names in lexical order after `last`, at most `limit`. */
export async function listRepositories(db: Executor, limit: number, last?: string): Promise<string[]> {
  let query = db.selectFrom('repositories').select('name').orderBy('name').limit(limit);
  if (last !== undefined) query = query.where('name', '>', last);
  return (await query.execute()).map((r) => r.name);
}

/** Repositories whose first path segment is `segment` (or named just that), at most `limit`. */
export async function repositoriesUnder(db: Executor, segment: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('repositories')
    .select('name')
    // substr, not LIKE: '_' is a wildcard to LIKE and a letter of registry names.
    .where((eb) =>
      eb.or([
        eb('name', '=', segment),
        sql<boolean>`substr(name, 1, ${segment.length + 1}) = ${`${segment}/`}`,
      ]),
    )
    .limit(limit)
    .execute();
  return rows.map((r) => r.name);
}

/** Remove a repository and everything recorded in it (tags, manifests, links, uploads). */
export async function deleteRepositoryRows(db: Executor, name: string): Promise<void> {
  // Its blobs may now be unreferenced (a forced registry delete on a shared location): GC reviews them.
  const linked = await db
    .selectFrom('repository_blobs')
    .select('digest')
    .where('repository', '=', name)
    .execute();
  await queueBlobReviews(
    db,
    linked.map((r) => r.digest),
    Date.now(),
  );
  const tables = [
    'tags',
    'manifest_references',
    'manifests',
    'repository_blobs',
    'uploads',
    'gc_manifest_reviews',
  ] as const;
  for (const table of tables) {
    await db.deleteFrom(table).where('repository', '=', name).execute();
  }
  await db.deleteFrom('repositories').where('name', '=', name).execute();
}
