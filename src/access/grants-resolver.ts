import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { Grants, type Grant } from './grants.js';
import type { Caller } from './principal.js';
import type { RoleCatalog } from './role-catalog.js';
import { parseScope } from './scope.js';
import * as assignments from './store/assignments.js';
import * as groups from './store/groups.js';

/** How long resolved grants are reused; writes in this process drop them at once. */
const cacheTtlMs = 5_000;

/**
 * What registry:2 lets an htpasswd user do: pull, push and delete on every repository of /v2, and
 * read the registries and the container-registry catalog (a directory, like /v2/_catalog). Managing
 * access, credentials, registries or catalog entries needs a role (or `auth.htpasswd.admins`).
 */
const htpasswdUserGrants: readonly Grant[] = (
  [
    'registries/read',
    'registries/assets/read',
    'registries/assets/write',
    'registries/assets/delete',
    'catalog/read',
  ] as const
).map((permission) => ({ permission, scope: { kind: 'all' as const } }));

/**
 * What a caller may do: its role assignments, those of its groups, and what everyone may do
 * (anonymous pulls). Resolved grants are cached briefly: a pull sends dozens of requests.
 * With several replicas, a change made on another one applies here within `cacheTtlMs`.
 */
export class GrantsResolver {
  private readonly cache = new Map<string, { grants: Grants; until: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly roles: RoleCatalog,
    /** Granted to everyone, signed in or not (registries that allow anonymous pulls can change). */
    private readonly everyone: () => readonly Grant[],
    /**
     * With `auth: htpasswd`: file users without an assignment of their own get registry:2's rights
     * (`htpasswdUserGrants`); those named in `admins` may do everything.
     */
    private readonly htpasswd?: { admins: readonly string[] },
  ) {}

  /** Forget every cached resolution (after any change to identities, roles or assignments). */
  invalidate(): void {
    this.cache.clear();
  }

  anonymous(): Grants {
    return new Grants(this.everyone());
  }

  async of(caller: Caller): Promise<Grants> {
    if (caller.kind === 'anonymous') return this.anonymous();
    const key = `${caller.kind}\0${caller.kind === 'user' ? caller.source : ''}\0${caller.name}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.grants;
    const grants = await this.resolve(caller);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { grants, until: Date.now() + cacheTtlMs });
    return grants;
  }

  private async resolve(caller: Exclude<Caller, { kind: 'anonymous' }>): Promise<Grants> {
    const memberships = await groups.groupsOf(this.db, caller.kind, caller.name);
    const rows = await assignments.assignmentsOf(this.db, [
      { kind: caller.kind, name: caller.name },
      ...memberships.map((name) => ({ kind: 'group', name })),
    ]);
    if (this.htpasswd && caller.kind === 'user' && caller.source === 'htpasswd') {
      if (this.htpasswd.admins.includes(caller.name)) return Grants.all;
      if (rows.length === 0) return new Grants(htpasswdUserGrants).with(this.everyone());
    }
    const permissions = await this.roles.permissionsOf(rows.map((r) => r.role));
    const list: Grant[] = [];
    for (const row of rows) {
      const scope = parseScope(row.scope);
      if (!scope) continue;
      for (const permission of permissions.get(row.role) ?? []) list.push({ permission, scope });
    }
    return new Grants(list).with(this.everyone());
  }
}
