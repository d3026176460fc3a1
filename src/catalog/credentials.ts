import type { CatalogEntry } from './entry.js';

/** A credential a health check presents to a registry. */
export interface RegistryCredential {
  /** The registry it was stored for: it is presented only at that exact origin. */
  registry: string;
  username: string;
  password: string;
}

/**
 * The seam to the credentials room: the stored credential of an entry's registry (the server passes
 * `catalogCredentials`). Without one, `noCredentials` answers undefined and probes go out anonymously
 * (a registry that asks for credentials still counts as up: it answers 401 with its API header).
 *
 * Credentials are deliberately not read from `container_registry_config`: every reader of the catalog
 * receives that object verbatim, so a password there would be published.
 */
export interface CatalogCredentials {
  forEntry(entry: CatalogEntry): Promise<RegistryCredential | undefined>;
}

export const noCredentials: CatalogCredentials = { forEntry: async () => undefined };
