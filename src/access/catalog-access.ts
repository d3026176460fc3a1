import type { GrantsResolver } from './grants-resolver.js';
import type { Caller } from './principal.js';
import type { RegistryLookup } from './registry-lookup.js';
import { accessAllows } from './token-scope.js';
import type { VerifiedToken } from './tokens.js';

/**
 * What listing the repositories (`/v2/_catalog`) comes to for a signed-in caller: refused by the
 * bearer token it carried (a new token with the catalog scope could help), or allowed, listing only
 * the repositories `visible` says (every one when it is absent).
 */
export type CatalogVerdict =
  { verdict: 'token-lacks' } | { verdict: 'yes'; visible?: (repository: string) => boolean };

/**
 * May a signed-in `caller` list repositories, and which? A bearer token needs the
 * `registry:catalog:*` scope; an external token server's token decides alone (registry:2 then lists
 * everything). Otherwise any signed-in caller may list, and sees only what it may pull.
 */
export async function catalogAccess(
  grants: GrantsResolver,
  registries: RegistryLookup,
  caller: Caller,
  token: VerifiedToken | undefined,
): Promise<CatalogVerdict> {
  const hasScope = token !== undefined && accessAllows(token.access, 'registry', 'catalog', '*');
  if (token && !token.issuedHere) return hasScope ? { verdict: 'yes' } : { verdict: 'token-lacks' };
  const resolved = await grants.of(caller);
  if (token && !hasScope) return { verdict: 'token-lacks' };
  if (resolved.isUnlimited) return { verdict: 'yes' };
  return {
    verdict: 'yes',
    visible: (repository) => resolved.allows('registries/assets/read', registries.registryOf(repository)),
  };
}
