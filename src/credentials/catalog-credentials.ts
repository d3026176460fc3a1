import type { CatalogCredentials, CatalogEntry } from '../catalog/index.js';
import { registryBase } from './registry-login.js';
import type { CredentialService, OpenedCredential } from './service.js';

function hostOf(address: string): string | undefined {
  try {
    return registryBase(address).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * The catalog's health checks present the stored REGISTRY credential of an entry's registry: the
 * one `container_registry_config.credential` names (a name is not a secret), else the one whose
 * `registry` is the entry's public host; the `default` namespace wins a tie.
 */
export function catalogCredentials(credentials: CredentialService): CatalogCredentials {
  return {
    async forEntry(entry: CatalogEntry) {
      const all = await credentials.registryCredentials();
      const named = (entry.container_registry_config as Record<string, unknown> | undefined)?.credential;
      let found: OpenedCredential | undefined;
      if (typeof named === 'string') {
        found = all.find((c) => c.name.toLowerCase() === named.toLowerCase() && c.namespace === 'default');
      }
      const host = hostOf(entry.container_registry_public_url ?? '');
      if (!found && host) {
        const matching = all.filter((c) => hostOf(c.payload.registry ?? '') === host);
        found = matching.find((c) => c.namespace === 'default') ?? matching[0];
      }
      if (!found) return undefined;
      return { username: found.payload.username ?? '', password: found.payload.auth ?? '' };
    },
  };
}
