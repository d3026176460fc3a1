import { globalPermissions, permissions, type Permission } from './permissions.js';
import { formatScope, scopeCovers, type RegistryLocation, type Scope } from './scope.js';

/** One permission at one scope, from a role assignment (or an implicit rule such as anonymous pulls). */
export interface Grant {
  permission: Permission;
  scope: Scope;
}

/** OCI repository actions, as in Docker token scopes. */
export type RepositoryAction = 'pull' | 'push' | 'delete';

/** What each OCI action needs on the repository's registry. */
export const actionPermission: Record<RepositoryAction, Permission> = {
  pull: 'registries/assets/read',
  push: 'registries/assets/write',
  delete: 'registries/assets/delete',
};

/**
 * Everything one caller may do: the union of its grants. `Grants.all` is the superuser of
 * `auth: none` (and of the htpasswd users named in `auth.htpasswd.admins`).
 */
export class Grants {
  static readonly none = new Grants([]);
  static readonly all = new Grants([], true);

  constructor(
    readonly list: readonly Grant[],
    private readonly unlimited = false,
  ) {}

  get isUnlimited(): boolean {
    return this.unlimited;
  }

  /**
   * May the caller use `permission` on this registry? Global verbs (catalog, credentials, access)
   * count only when granted at `/`; registry verbs without a registry mean "on every registry".
   */
  allows(permission: Permission, where?: RegistryLocation): boolean {
    if (this.unlimited) return true;
    for (const grant of this.list) {
      if (grant.permission !== permission) continue;
      if (grant.scope.kind === 'all') return true;
      if (where && !globalPermissions.has(permission) && scopeCovers(grant.scope, where)) return true;
    }
    return false;
  }

  /**
   * May the caller use a namespaced permission (credentials) in this namespace? Granted at `/` or at
   * `/namespaces/<namespace>`; a registry-scoped grant does not reach a namespace's credentials.
   */
  allowsInNamespace(permission: Permission, namespace: string): boolean {
    if (this.unlimited) return true;
    return this.list.some(
      (g) =>
        g.permission === permission &&
        (g.scope.kind === 'all' || (g.scope.kind === 'namespace' && g.scope.namespace === namespace)),
    );
  }

  /** Is `permission` granted at some scope (e.g. may this caller list any repository at all)? */
  allowsSomewhere(permission: Permission): boolean {
    return this.unlimited || this.list.some((g) => g.permission === permission);
  }

  /** The OCI actions allowed on a repository of this registry. */
  repositoryActions(where: RegistryLocation): RepositoryAction[] {
    return (Object.keys(actionPermission) as RepositoryAction[]).filter((a) =>
      this.allows(actionPermission[a], where),
    );
  }

  /** Add more grants (e.g. anonymous pulls everyone has). */
  with(extra: readonly Grant[]): Grants {
    if (this.unlimited || extra.length === 0) return this;
    return new Grants([...this.list, ...extra]);
  }

  /** For the API: one line per permission and scope, deduplicated and sorted. */
  describe(): { permission: Permission; scope: string }[] {
    if (this.unlimited) return permissions.map((permission) => ({ permission, scope: '/' }));
    const seen = new Map<string, { permission: Permission; scope: string }>();
    for (const g of this.list) {
      const scope = formatScope(g.scope);
      seen.set(`${g.permission} ${scope}`, { permission: g.permission, scope });
    }
    return [...seen.values()].sort(
      (a, b) => a.scope.localeCompare(b.scope) || a.permission.localeCompare(b.permission),
    );
  }
}
