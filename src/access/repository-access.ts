import { actionPermission, type RepositoryAction } from './grants.js';
import type { GrantsResolver } from './grants-resolver.js';
import type { Caller } from './principal.js';
import type { RegistryLookup } from './registry-lookup.js';
import { accessAllows } from './token-scope.js';
import type { VerifiedToken } from './tokens.js';

/**
 * What a request's access to a repository comes to: allowed; refused by the bearer token it carried
 * while a new token could allow it (so the client should fetch one); or refused.
 */
export type RepositoryVerdict = 'yes' | 'token-lacks' | 'no';

/**
 * May `caller` do `action` on `repository`, by the bearer `token` it presented or, without one, by
 * its grants? A token is checked against its own `access` claim first, so a token for one repository
 * never works for another; what anyone may do needs no token; beyond that a token that lacks the
 * action is `token-lacks` only when the caller's roles would allow it (or Arca cannot ask: a token
 * of an external token server, an anonymous token), else `no`.
 */
export async function repositoryAccess(
  grants: GrantsResolver,
  registries: RegistryLookup,
  caller: Caller,
  token: VerifiedToken | undefined,
  action: RepositoryAction,
  repository: string,
): Promise<RepositoryVerdict> {
  const where = registries.registryOf(repository);
  const permission = actionPermission[action];
  if (token) {
    if (accessAllows(token.access, 'repository', repository, action)) return 'yes';
    if (grants.anonymous().allows(permission, where)) return 'yes';
    if (!token.issuedHere || caller.kind === 'anonymous') return 'token-lacks';
    return (await grants.of(caller)).allows(permission, where) ? 'token-lacks' : 'no';
  }
  return (await grants.of(caller)).allows(permission, where) ? 'yes' : 'no';
}
