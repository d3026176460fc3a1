import type { CatalogCredentials, CatalogEntry } from '../catalog/index.js';
import { mayPresent, registryBase } from '../net/index.js';
import type { CredentialService, OpenedCredential } from './credential-service.js';

/**
 * The catalog's health checks present the stored REGISTRY credential of an entry's registry: the
 * one `container_registry_config.credential` names (a name is not a secret), else one stored for
 * the entry's origin; the `default` namespace wins a tie. Either way only a credential stored for
 * the exact origin (scheme, host, port) of the entry's public URL: an entry pointing elsewhere
 * never receives it, whoever wrote the entry and whenever it is checked.
 */
export function catalogCredentials(credentials: CredentialService): CatalogCredentials {
  return {
    async forEntry(entry: CatalogEntry) {
      let target: URL;
      try {
        target = registryBase(entry.container_registry_public_url ?? '');
      } catch {
        return undefined;
      }
      const fits = (c: OpenedCredential) => mayPresent(c.payload.registry ?? '', target);
      const all = (await credentials.registryCredentials()).filter(fits);
      const named = (entry.container_registry_config as Record<string, unknown> | undefined)?.credential;
      let found: OpenedCredential | undefined;
      if (typeof named === 'string') {
        found = all.find((c) => c.name.toLowerCase() === named.toLowerCase() && c.namespace === 'default');
      }
      found ??= all.find((c) => c.namespace === 'default') ?? all[0];
      if (!found) return undefined;
      return {
        registry: found.payload.registry!,
        username: found.payload.username ?? '',
        password: found.payload.auth ?? '',
      };
    },
  };
}
