import type { Selectable } from 'kysely';
import type { AccessRoleAssignmentsTable } from '../tables.js';
import type { Executor } from '../../db/index.js';

export type AssignmentRow = Selectable<AccessRoleAssignmentsTable>;

export interface AssignmentFilter {
  role?: string;
  principalKind?: string;
  principalName?: string;
  scope?: string;
}

export function listAssignments(db: Executor, filter: AssignmentFilter = {}): Promise<AssignmentRow[]> {
  let query = db.selectFrom('access_role_assignments').selectAll();
  if (filter.role !== undefined) query = query.where('role', '=', filter.role);
  if (filter.principalKind !== undefined) query = query.where('principal_kind', '=', filter.principalKind);
  if (filter.principalName !== undefined) query = query.where('principal_name', '=', filter.principalName);
  if (filter.scope !== undefined) query = query.where('scope', '=', filter.scope);
  return query.orderBy('principal_kind').orderBy('principal_name').orderBy('role').orderBy('scope').execute();
}

export function getAssignment(db: Executor, id: string): Promise<AssignmentRow | undefined> {
  return db.selectFrom('access_role_assignments').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The assignments held by any of these principals (a user and the groups it is in). */
export function assignmentsOf(
  db: Executor,
  principals: { kind: string; name: string }[],
): Promise<AssignmentRow[]> {
  if (principals.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('access_role_assignments')
    .selectAll()
    .where((eb) =>
      eb.or(
        principals.map((p) => eb.and([eb('principal_kind', '=', p.kind), eb('principal_name', '=', p.name)])),
      ),
    )
    .execute();
}

/** Insert an assignment; the existing one when the same assignment is already there. */
export async function insertAssignment(db: Executor, row: AssignmentRow): Promise<AssignmentRow> {
  await db
    .insertInto('access_role_assignments')
    .values(row)
    .onConflict((oc) => oc.columns(['principal_kind', 'principal_name', 'role', 'scope']).doNothing())
    .execute();
  const stored = await db
    .selectFrom('access_role_assignments')
    .selectAll()
    .where('principal_kind', '=', row.principal_kind)
    .where('principal_name', '=', row.principal_name)
    .where('role', '=', row.role)
    .where('scope', '=', row.scope)
    .executeTakeFirstOrThrow();
  return stored;
}

export async function deleteAssignment(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('access_role_assignments').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function deleteAssignmentsOf(db: Executor, kind: string, name: string): Promise<void> {
  await db
    .deleteFrom('access_role_assignments')
    .where('principal_kind', '=', kind)
    .where('principal_name', '=', name)
    .execute();
}

export async function countAssignmentsOfRole(db: Executor, role: string): Promise<number> {
  const row = await db
    .selectFrom('access_role_assignments')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('role', '=', role)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
