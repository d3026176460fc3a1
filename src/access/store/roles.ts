import type { Selectable } from 'kysely';
import type { AccessRolesTable } from '../tables.js';
import type { Executor } from '../../db/index.js';

export type RoleRow = Selectable<AccessRolesTable>;

export function getRole(db: Executor, name: string): Promise<RoleRow | undefined> {
  return db.selectFrom('access_roles').selectAll().where('name', '=', name).executeTakeFirst();
}

export function listRoles(db: Executor): Promise<RoleRow[]> {
  return db.selectFrom('access_roles').selectAll().orderBy('name').execute();
}

export function rolesNamed(db: Executor, names: string[]): Promise<RoleRow[]> {
  if (names.length === 0) return Promise.resolve([]);
  return db.selectFrom('access_roles').selectAll().where('name', 'in', names).execute();
}

export async function insertRole(
  db: Executor,
  name: string,
  description: string,
  permissions: string[],
  now: number,
): Promise<boolean> {
  const inserted = await db
    .insertInto('access_roles')
    .values({ name, description, permissions: JSON.stringify(permissions), created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function updateRole(
  db: Executor,
  name: string,
  changes: { description?: string; permissions?: string[] },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('access_roles')
    .set({
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.permissions !== undefined ? { permissions: JSON.stringify(changes.permissions) } : {}),
      updated_at: now,
    })
    .where('name', '=', name)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteRole(db: Executor, name: string): Promise<boolean> {
  const result = await db.deleteFrom('access_roles').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
