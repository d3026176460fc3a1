import type { Selectable } from 'kysely';
import type { AccessRefreshTokensTable } from '../tables.js';
import type { Executor } from '../../db/index.js';

export type RefreshTokenRow = Selectable<AccessRefreshTokensTable>;

export function getRefreshToken(db: Executor, id: string): Promise<RefreshTokenRow | undefined> {
  return db.selectFrom('access_refresh_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertRefreshToken(db: Executor, row: RefreshTokenRow): Promise<void> {
  await db.insertInto('access_refresh_tokens').values(row).execute();
}

export async function touchRefreshToken(db: Executor, id: string, now: number): Promise<void> {
  await db.updateTable('access_refresh_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

export async function revokeRefreshToken(db: Executor, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('access_refresh_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Revoke every refresh token of a subject (deleted, disabled, or its password changed). */
export async function revokeRefreshTokensOf(
  db: Executor,
  kind: string,
  name: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('access_refresh_tokens')
    .set({ revoked_at: now })
    .where('subject_kind', '=', kind)
    .where('subject_name', '=', name)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Forget tokens that expired or were revoked before `before`; the number removed. */
export async function deleteEndedRefreshTokens(db: Executor, before: number): Promise<number> {
  const result = await db
    .deleteFrom('access_refresh_tokens')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
