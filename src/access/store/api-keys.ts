import type { Selectable } from 'kysely';
import type { AccessApiKeysTable } from '../tables.js';
import type { Executor } from '../../db/index.js';

export type ApiKeyRow = Selectable<AccessApiKeysTable>;

export function getApiKey(db: Executor, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('access_api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listApiKeys(db: Executor, ownerKind: string, ownerName: string): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('access_api_keys')
    .selectAll()
    .where('owner_kind', '=', ownerKind)
    .where('owner_name', '=', ownerName)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function insertApiKey(db: Executor, row: ApiKeyRow): Promise<void> {
  await db.insertInto('access_api_keys').values(row).execute();
}

/** Revoke a key (kept for the record); false when there is no such live key of this owner. */
export async function revokeApiKey(
  db: Executor,
  ownerKind: string,
  ownerName: string,
  id: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('access_api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('owner_kind', '=', ownerKind)
    .where('owner_name', '=', ownerName)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Revoke every key of an owner (the owner is being deleted or disabled). */
export async function revokeApiKeysOf(
  db: Executor,
  ownerKind: string,
  ownerName: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('access_api_keys')
    .set({ revoked_at: now })
    .where('owner_kind', '=', ownerKind)
    .where('owner_name', '=', ownerName)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function touchApiKey(db: Executor, id: string, now: number): Promise<void> {
  await db.updateTable('access_api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}
