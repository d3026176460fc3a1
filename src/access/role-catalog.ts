import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { AppError } from '../errors/index.js';
import {
  canonicalPermission,
  isPermission,
  permissions as allPermissions,
  type Permission,
} from './permissions.js';
import type { AssigneeKind } from './principal.js';
import type { RegistryLookup } from './registry-lookup.js';
import { builtinRole, builtinRoles, type RoleDefinition } from './roles.js';
import { parseScope } from './scope.js';
import { randomId } from './secrets.js';
import * as assignments from './store/assignments.js';
import * as groups from './store/groups.js';
import * as roles from './store/roles.js';
import * as serviceAccounts from './store/service-accounts.js';
import * as users from './store/users.js';
import { assignmentView, type AssignmentView } from './views.js';

const roleNamePattern = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function customRole(row: roles.RoleRow): RoleDefinition {
  const parsed = JSON.parse(row.permissions) as string[];
  return {
    name: row.name,
    description: row.description,
    permissions: parsed.filter(isPermission),
    builtin: false,
  };
}

/** Permission list of a custom role: known verbs, at least one, no duplicates (kept in canonical order). */
function checkPermissions(given: readonly string[]): Permission[] {
  const list = given.map(canonicalPermission);
  const unknown = list.filter((p) => !isPermission(p));
  if (unknown.length > 0) {
    throw new AppError(
      'REQUEST_INVALID',
      `permissions: unknown ${unknown.map((p) => `'${p}'`).join(', ')} (known: ${allPermissions.join(', ')})`,
    );
  }
  if (list.length === 0) throw new AppError('REQUEST_INVALID', 'permissions: at least one is needed');
  return allPermissions.filter((p) => list.includes(p));
}

export interface AssignmentInput {
  role: string;
  principal: { kind: AssigneeKind; name: string };
  scope: string;
}

/**
 * Roles (built in and custom) and role assignments. Users without a row of their own (htpasswd
 * users, subjects of an external token server) may be assigned roles when `isKnownUser` says so.
 */
export class RoleCatalog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly registries: RegistryLookup,
    private readonly isKnownUser: (name: string) => boolean,
    private readonly changed: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  async listRoles(): Promise<RoleDefinition[]> {
    const custom = (await roles.listRoles(this.db)).map(customRole);
    return [...builtinRoles, ...custom];
  }

  async getRole(name: string): Promise<RoleDefinition> {
    const builtin = builtinRole(name);
    if (builtin) return builtin;
    const row = await roles.getRole(this.db, name);
    if (!row) throw new AppError('NOT_FOUND', `no role named '${name}'`);
    return customRole(row);
  }

  /** The permissions of each named role that exists (built-in names in any case). */
  async permissionsOf(names: string[]): Promise<Map<string, Permission[]>> {
    const result = new Map<string, Permission[]>();
    const custom: string[] = [];
    for (const name of names) {
      const builtin = builtinRole(name);
      if (builtin) result.set(name, builtin.permissions);
      else custom.push(name);
    }
    for (const row of await roles.rolesNamed(this.db, [...new Set(custom)])) {
      result.set(row.name, customRole(row).permissions);
    }
    return result;
  }

  async createRole(
    name: string,
    description: string,
    permissions: readonly string[],
  ): Promise<RoleDefinition> {
    if (!roleNamePattern.test(name)) {
      throw new AppError(
        'REQUEST_INVALID',
        "role name: 1-64 letters, digits, '.', '_' and '-', starting with a letter",
      );
    }
    if (builtinRole(name)) throw new AppError('CONFLICT', `'${name}' is a built-in role`);
    const checked = checkPermissions(permissions);
    if (!(await roles.insertRole(this.db, name, description, checked, this.now()))) {
      throw new AppError('CONFLICT', `role '${name}' already exists`);
    }
    this.changed();
    return this.getRole(name);
  }

  async updateRole(
    name: string,
    changes: { description?: string; permissions?: readonly string[] },
  ): Promise<RoleDefinition> {
    if (builtinRole(name)) throw new AppError('CONFLICT', `built-in role '${name}' cannot be changed`);
    const permissions = changes.permissions === undefined ? undefined : checkPermissions(changes.permissions);
    if (
      !(await roles.updateRole(this.db, name, { description: changes.description, permissions }, this.now()))
    ) {
      throw new AppError('NOT_FOUND', `no role named '${name}'`);
    }
    this.changed();
    return this.getRole(name);
  }

  async deleteRole(name: string): Promise<void> {
    if (builtinRole(name)) throw new AppError('CONFLICT', `built-in role '${name}' cannot be deleted`);
    await this.db.transaction().execute(async (tx) => {
      const uses = await assignments.countAssignmentsOfRole(tx, name);
      if (uses > 0) {
        throw new AppError(
          'CONFLICT',
          `role '${name}' is assigned ${uses} time${uses === 1 ? '' : 's'}: remove those assignments first`,
        );
      }
      if (!(await roles.deleteRole(tx, name))) throw new AppError('NOT_FOUND', `no role named '${name}'`);
    });
    this.changed();
  }

  async listAssignments(filter: assignments.AssignmentFilter = {}): Promise<AssignmentView[]> {
    return (await assignments.listAssignments(this.db, filter)).map(assignmentView);
  }

  async getAssignment(id: string): Promise<AssignmentView> {
    const row = await assignments.getAssignment(this.db, id);
    if (!row) throw new AppError('NOT_FOUND', `no role assignment '${id}'`);
    return assignmentView(row);
  }

  /** Assign a role; assigning the same role at the same scope again returns the existing assignment. */
  async assign(
    input: AssignmentInput,
    by: string | null,
  ): Promise<{ assignment: AssignmentView; created: boolean }> {
    const role = await this.getRole(input.role);
    const scope = parseScope(input.scope);
    if (!scope) {
      throw new AppError(
        'REQUEST_INVALID',
        `scope '${input.scope.slice(0, 100)}': expected '/', '/namespaces/<namespace>' or '/registries/<registry>'`,
      );
    }
    if (scope.kind === 'registry' && !this.registries.has(scope.registry)) {
      throw new AppError(
        'REQUEST_INVALID',
        `scope: no registry named '${scope.registry}' (known: ${this.registries.list().join(', ')})`,
      );
    }
    // Namespaces come into being with what is put in them (credentials today), so any well-formed one may be named.
    await this.requirePrincipal(input.principal.kind, input.principal.name);
    const row: assignments.AssignmentRow = {
      id: randomId(8),
      role: role.name,
      principal_kind: input.principal.kind,
      principal_name: input.principal.name,
      scope: input.scope,
      created_at: this.now(),
      created_by: by,
    };
    const stored = await assignments.insertAssignment(this.db, row);
    this.changed();
    return { assignment: assignmentView(stored), created: stored.id === row.id };
  }

  async unassign(id: string): Promise<void> {
    if (!(await assignments.deleteAssignment(this.db, id))) {
      throw new AppError('NOT_FOUND', `no role assignment '${id}'`);
    }
    this.changed();
  }

  private async requirePrincipal(kind: AssigneeKind, name: string): Promise<void> {
    let exists: boolean;
    if (kind === 'user')
      exists = (await users.getUser(this.db, name)) !== undefined || this.isKnownUser(name);
    else if (kind === 'group') exists = (await groups.getGroup(this.db, name)) !== undefined;
    else exists = (await serviceAccounts.getServiceAccount(this.db, name)) !== undefined;
    if (!exists) throw new AppError('REQUEST_INVALID', `principal: no ${kind} named '${name}'`);
  }
}
