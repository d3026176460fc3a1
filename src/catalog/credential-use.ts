import type { CatalogEntry } from './entry.js';

/**
 * Whether the actor writing an entry may have health checks present the credential it names
 * (`container_registry_config.credential`); throws (DENIED) when not. Absent: no check (tests,
 * servers without access control).
 */
export type CredentialUseCheck = (name: string) => Promise<void>;

/** The credential an entry's health checks present by name (lower case, as they look it up), if it names one. */
export function credentialNamed(entry: CatalogEntry): string | undefined {
  const named = (entry.container_registry_config as Record<string, unknown> | undefined)?.credential;
  return typeof named === 'string' ? named.toLowerCase() : undefined;
}

/**
 * A credential newly named by an entry must be one its writer may use: otherwise anyone who may
 * write the catalog could have the server present any stored secret. Returns the name checked.
 */
export async function checkCredentialUse(
  after: CatalogEntry,
  before: CatalogEntry | undefined,
  mayUse: CredentialUseCheck | undefined,
): Promise<string | undefined> {
  const named = credentialNamed(after);
  if (named === undefined || !mayUse || (before && credentialNamed(before) === named)) return undefined;
  await mayUse(named);
  return named;
}
