import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../db/index.js';
import type { CredentialsTable } from './tables.js';

export type CredentialRow = Selectable<CredentialsTable>;

export function getCredential(
  db: Executor,
  namespace: string,
  name: string,
): Promise<CredentialRow | undefined> {
  return db
    .selectFrom('credentials')
    .selectAll()
    .where('namespace', '=', namespace)
    .where('name_key', '=', name.toLowerCase())
    .executeTakeFirst();
}

export function listCredentials(db: Executor, namespace?: string): Promise<CredentialRow[]> {
  let q = db.selectFrom('credentials').selectAll();
  if (namespace !== undefined) q = q.where('namespace', '=', namespace);
  return q.orderBy('namespace').orderBy('name_key').execute();
}

/** Insert or replace; the creation time and creator survive a replacement. */
export async function upsertCredential(db: Executor, row: Insertable<CredentialsTable>): Promise<void> {
  await db
    .insertInto('credentials')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['namespace', 'name_key']).doUpdateSet({
        name: row.name,
        type: row.type,
        key_id: row.key_id,
        sealed: row.sealed,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function deleteCredential(db: Executor, namespace: string, name: string): Promise<boolean> {
  const result = await db
    .deleteFrom('credentials')
    .where('namespace', '=', namespace)
    .where('name_key', '=', name.toLowerCase())
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export function sealedWithOtherKeys(db: Executor, currentKeyId: string): Promise<CredentialRow[]> {
  return db.selectFrom('credentials').selectAll().where('key_id', '!=', currentKeyId).execute();
}

export async function reseal(db: Executor, row: CredentialRow, keyId: string, sealed: string): Promise<void> {
  await db
    .updateTable('credentials')
    .set({ key_id: keyId, sealed })
    .where('namespace', '=', row.namespace)
    .where('name_key', '=', row.name_key)
    .where('key_id', '=', row.key_id)
    .execute();
}

/** Every credential's version (`key_id` and `updated_at`), without its sealed payload. */
export function credentialVersions(
  db: Executor,
): Promise<Pick<CredentialRow, 'namespace' | 'name_key' | 'key_id' | 'updated_at'>[]> {
  return db.selectFrom('credentials').select(['namespace', 'name_key', 'key_id', 'updated_at']).execute();
}
