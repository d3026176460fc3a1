import type { Selectable } from 'kysely';
import type { AccessServiceAccountsTable } from '../tables.js';
import type { Executor } from '../../db/index.js';

export type ServiceAccountRow = Selectable<AccessServiceAccountsTable>;

export function getServiceAccount(db: Executor, name: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('access_service_accounts').selectAll().where('name', '=', name).executeTakeFirst();
}

export function listServiceAccounts(db: Executor): Promise<ServiceAccountRow[]> {
  return db.selectFrom('access_service_accounts').selectAll().orderBy('name').execute();
}

export async function insertServiceAccount(
  db: Executor,
  name: string,
  description: string,
  now: number,
): Promise<boolean> {
  const inserted = await db
    .insertInto('access_service_accounts')
    .values({ name, description, disabled: 0, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function updateServiceAccount(
  db: Executor,
  name: string,
  changes: { description?: string; disabled?: number },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('access_service_accounts')
    .set({ ...changes, updated_at: now })
    .where('name', '=', name)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteServiceAccount(db: Executor, name: string): Promise<boolean> {
  const result = await db.deleteFrom('access_service_accounts').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
