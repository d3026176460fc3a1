import { type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../db/index.js';
import type { RegistriesTable } from './tables.js';

export type RegistryRow = Selectable<RegistriesTable>;

export function getRegistry(db: Executor, key: string): Promise<RegistryRow | undefined> {
  return db.selectFrom('registries').selectAll().where('name_key', '=', key).executeTakeFirst();
}

export function listRegistries(db: Executor, namespace?: string): Promise<RegistryRow[]> {
  let q = db.selectFrom('registries').selectAll();
  if (namespace !== undefined) q = q.where('namespace', '=', namespace);
  return q.orderBy('namespace').orderBy('name_key').execute();
}

/** Insert; false when the key is taken. */
export async function insertRegistry(db: Executor, row: Insertable<RegistriesTable>): Promise<boolean> {
  const inserted = await db
    .insertInto('registries')
    .values(row)
    .onConflict((oc) => oc.column('name_key').doNothing())
    .returning('name_key')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function updateRegistry(
  db: Executor,
  key: string,
  set: Updateable<RegistriesTable>,
): Promise<void> {
  await db.updateTable('registries').set(set).where('name_key', '=', key).execute();
}

export async function deleteRegistry(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('registries').where('name_key', '=', key).execute();
}

/** Make `key` the one default of its namespace: unset the other first (one index allows one). */
export async function setDefault(db: Executor, namespace: string, key: string, now: number): Promise<void> {
  await db
    .updateTable('registries')
    .set({ is_default: 0, updated_at: now })
    .where('namespace', '=', namespace)
    .where('is_default', '=', 1)
    .where('name_key', '!=', key)
    .execute();
  await db
    .updateTable('registries')
    .set({ is_default: 1, updated_at: now })
    .where('name_key', '=', key)
    .execute();
}
