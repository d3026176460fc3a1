import type { Executor } from '../../db/index.js';

export async function setTag(db: Executor, repository: string, name: string, digest: string, now: number) {
  await db
    .insertInto('tags')
    .values({ repository, name, digest, updated_at: now })
    .onConflict((oc) => oc.columns(['repository', 'name']).doUpdateSet({ digest, updated_at: now }))
    .execute();
}

export async function deleteTag(db: Executor, repository: string, name: string): Promise<boolean> {
  const result = await db
    .deleteFrom('tags')
    .where('repository', '=', repository)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function deleteTagsOf(db: Executor, repository: string, digest: string): Promise<void> {
  await db.deleteFrom('tags').where('repository', '=', repository).where('digest', '=', digest).execute();
}

/** Tag names in lexical order after `last`, at most `limit`. */
export async function listTags(
  db: Executor,
  repository: string,
  limit: number,
  last?: string,
): Promise<string[]> {
  let query = db
    .selectFrom('tags')
    .select('name')
    .where('repository', '=', repository)
    .orderBy('name')
    .limit(limit);
  if (last !== undefined) query = query.where('name', '>', last);
  return (await query.execute()).map((r) => r.name);
}
