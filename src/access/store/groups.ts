import type { Selectable } from 'kysely';
import type { AccessGroupMembersTable, AccessGroupsTable } from '../tables.js';
import type { Executor } from '../../db/index.js';

export type GroupRow = Selectable<AccessGroupsTable>;
export type GroupMemberRow = Selectable<AccessGroupMembersTable>;

export function getGroup(db: Executor, name: string): Promise<GroupRow | undefined> {
  return db.selectFrom('access_groups').selectAll().where('name', '=', name).executeTakeFirst();
}

export function listGroups(db: Executor): Promise<GroupRow[]> {
  return db.selectFrom('access_groups').selectAll().orderBy('name').execute();
}

export async function insertGroup(
  db: Executor,
  name: string,
  description: string,
  now: number,
): Promise<boolean> {
  const inserted = await db
    .insertInto('access_groups')
    .values({ name, description, created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function updateGroup(db: Executor, name: string, description: string): Promise<boolean> {
  const result = await db
    .updateTable('access_groups')
    .set({ description })
    .where('name', '=', name)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteGroup(db: Executor, name: string): Promise<boolean> {
  await db.deleteFrom('access_group_members').where('group_name', '=', name).execute();
  const result = await db.deleteFrom('access_groups').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export function listMembers(db: Executor, group: string): Promise<GroupMemberRow[]> {
  return db
    .selectFrom('access_group_members')
    .selectAll()
    .where('group_name', '=', group)
    .orderBy('member_kind')
    .orderBy('member_name')
    .execute();
}

export async function addMember(db: Executor, group: string, kind: string, name: string): Promise<void> {
  await db
    .insertInto('access_group_members')
    .values({ group_name: group, member_kind: kind, member_name: name })
    .onConflict((oc) => oc.columns(['group_name', 'member_kind', 'member_name']).doNothing())
    .execute();
}

export async function removeMember(
  db: Executor,
  group: string,
  kind: string,
  name: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('access_group_members')
    .where('group_name', '=', group)
    .where('member_kind', '=', kind)
    .where('member_name', '=', name)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The groups a user or service account belongs to. */
export async function groupsOf(db: Executor, kind: string, name: string): Promise<string[]> {
  const rows = await db
    .selectFrom('access_group_members')
    .select('group_name')
    .where('member_kind', '=', kind)
    .where('member_name', '=', name)
    .execute();
  return rows.map((r) => r.group_name);
}

/** Remove a deleted user or service account from every group. */
export async function removeFromAllGroups(db: Executor, kind: string, name: string): Promise<void> {
  await db
    .deleteFrom('access_group_members')
    .where('member_kind', '=', kind)
    .where('member_name', '=', name)
    .execute();
}
