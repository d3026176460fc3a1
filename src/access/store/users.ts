import type { Selectable } from 'kysely';
import type { AccessUsersTable } from '../tables.js';
import type { Executor } from '../../db/index.js';

export type UserRow = Selectable<AccessUsersTable>;

export function getUser(db: Executor, name: string): Promise<UserRow | undefined> {
  return db.selectFrom('access_users').selectAll().where('name', '=', name).executeTakeFirst();
}

export function listUsers(db: Executor): Promise<UserRow[]> {
  return db.selectFrom('access_users').selectAll().orderBy('name').execute();
}

/** Insert a user; false when the name is taken. */
export async function insertUser(
  db: Executor,
  name: string,
  passwordHash: string,
  now: number,
): Promise<boolean> {
  const inserted = await db
    .insertInto('access_users')
    .values({ name, password_hash: passwordHash, disabled: 0, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function updateUser(
  db: Executor,
  name: string,
  changes: { password_hash?: string; disabled?: number },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('access_users')
    .set({ ...changes, updated_at: now })
    .where('name', '=', name)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteUser(db: Executor, name: string): Promise<boolean> {
  const result = await db.deleteFrom('access_users').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
