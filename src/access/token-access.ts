import { isRepositoryName } from '../oci/index.js';
import type { Grants } from './grants.js';
import type { Caller } from './principal.js';
import type { RegistryLookup } from './registry-lookup.js';
import { repositoryActionsOf, type AccessEntry, type RequestedScope } from './token-scope.js';

/**
 * The `access` claim for a token: of each requested scope, exactly the actions the caller is
 * allowed. `registry:catalog:*` is granted to every signed-in caller (`/v2/_catalog` then lists
 * only what it may read: nothing for a caller without roles). Anything not allowed is left out, as the
 * Docker token specification asks; the registry refuses it when it is used.
 */
export function grantedAccess(
  caller: Caller,
  grants: Grants,
  scopes: readonly RequestedScope[],
  registries: RegistryLookup,
): AccessEntry[] {
  const merged = new Map<string, AccessEntry>();
  const add = (type: string, name: string, actions: string[]) => {
    const key = `${type}\0${name}`;
    const entry = merged.get(key) ?? { type, name, actions: [] };
    for (const a of actions) if (!entry.actions.includes(a)) entry.actions.push(a);
    merged.set(key, entry);
  };
  for (const scope of scopes) {
    if (scope.type === 'repository' && isRepositoryName(scope.name)) {
      const allowed = grants.repositoryActions(registries.registryOf(scope.name));
      const granted = repositoryActionsOf(scope.actions).filter((a) => allowed.includes(a));
      if (granted.length > 0) add('repository', scope.name, granted);
    } else if (scope.type === 'registry' && scope.name === 'catalog' && scope.actions.includes('*')) {
      if (caller.kind !== 'anonymous') {
        add('registry', 'catalog', ['*']);
      }
    }
  }
  return [...merged.values()];
}
