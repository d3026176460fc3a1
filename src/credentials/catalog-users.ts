import type { CredentialUser } from './credential-service.js';

/** What the catalog says about its entries' credentials. */
export interface CatalogCredentialNames {
  entriesNamingCredential(name: string): Promise<string[]>;
}

/**
 * Catalog entries as users of credentials: an entry's `container_registry_config.credential` names a
 * REGISTRY credential of the `default` namespace, which its health checks present
 * (`catalogCredentials`), so deleting that credential is refused while an entry names it.
 */
export function catalogCredentialUser(catalog: CatalogCredentialNames): CredentialUser {
  return {
    async usersOf(namespace, name) {
      if (namespace !== 'default') return [];
      return (await catalog.entriesNamingCredential(name)).map((id) => `catalog entry '${id}'`);
    },
  };
}
