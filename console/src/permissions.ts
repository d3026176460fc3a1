import { createContext, useContext } from 'react';

export type Permission =
  | 'registries/read'
  | 'registries/write'
  | 'registries/delete'
  | 'registries/assets/read'
  | 'registries/assets/write'
  | 'registries/assets/delete'
  | 'credentials/read'
  | 'credentials/write'
  | 'catalog/read'
  | 'catalog/write'
  | 'access/manage';

/** `GET /api/v1/me`: who is signed in and what the server grants, where. */
export interface Me {
  kind: string;
  name: string | null;
  auth: string;
  grants: { permission: Permission; scope: string }[];
}

/** Where a question is asked: a registry (and its namespace), or the whole installation. */
export interface Where {
  registry?: string;
  namespace?: string;
}

/**
 * Whether the server would allow `permission` at `where`, read from the caller's grants (a
 * registry grant covers its registry, a namespace grant its namespace, `/` everything). Only what
 * the console offers depends on it: the server decides every request itself.
 */
export function can(me: Me | null, permission: Permission, where: Where = {}): boolean {
  if (!me) return false;
  if (me.auth === 'none') return true;
  return me.grants.some((g) => {
    if (g.permission !== permission) return false;
    if (g.scope === '/') return true;
    const [, kind, name] = g.scope.split('/');
    if (kind === 'registries') {
      return where.registry !== undefined && name?.toLowerCase() === where.registry.toLowerCase();
    }
    if (kind === 'namespaces') return where.namespace !== undefined && name === where.namespace;
    return false;
  });
}

/** May the caller do this anywhere (some registry)? For controls not tied to one registry yet. */
export function canAnywhere(me: Me | null, permission: Permission): boolean {
  if (!me) return false;
  return me.auth === 'none' || me.grants.some((g) => g.permission === permission);
}

export const MeContext = createContext<Me | null>(null);

export function useMe(): Me | null {
  return useContext(MeContext);
}
