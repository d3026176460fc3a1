import type { Executor } from '../../db/index.js';

export async function insertUpload(
  db: Executor,
  id: string,
  repository: string,
  now: number,
  openedBy: string | null,
): Promise<void> {
  await db.insertInto('uploads').values({ id, repository, created_at: now, opened_by: openedBy }).execute();
}

/** Open upload sessions of a repository, or opened by a caller. */
export async function countOpenUploads(
  db: Executor,
  by: { repository: string } | { openedBy: string },
): Promise<number> {
  let query = db.selectFrom('uploads').select((eb) => eb.fn.countAll<number>().as('n'));
  query =
    'repository' in by
      ? query.where('repository', '=', by.repository)
      : query.where('opened_by', '=', by.openedBy);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function uploadRepository(db: Executor, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('uploads').select('repository').where('id', '=', id).executeTakeFirst();
  return row?.repository;
}

export async function deleteUpload(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('uploads').where('id', '=', id).execute();
}

export async function uploadsCreatedBefore(db: Executor, before: number): Promise<string[]> {
  const rows = await db.selectFrom('uploads').select('id').where('created_at', '<', before).execute();
  return rows.map((r) => r.id);
}

export async function countUploads(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('uploads')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
