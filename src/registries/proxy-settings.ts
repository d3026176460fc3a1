import type { Updateable } from 'kysely';
import { AppError } from '../errors/index.js';
import type { CredentialService } from '../credentials/index.js';
import { checkProxyCredential } from './registry-checks.js';
import { proxyUrl, type RegistryUpdate } from './definition.js';
import type { RegistryRow } from './store.js';
import type { RegistriesTable } from './tables.js';

/** The columns a change of a proxy registry's upstream, credential or TTL sets. */
export async function proxyUpdate(
  credentials: CredentialService,
  row: RegistryRow,
  update: NonNullable<RegistryUpdate['proxy']>,
): Promise<Updateable<RegistriesTable>> {
  if (row.proxy_url === null)
    throw new AppError('REGISTRY_INVALID', 'proxy: the registry is not a pull-through cache');
  const url = update.url !== undefined ? proxyUrl(update.url) : row.proxy_url;
  const credential = update.credential !== undefined ? update.credential : row.proxy_credential;
  if (credential) await checkProxyCredential(credentials, row.namespace, credential, url);
  const set: Updateable<RegistriesTable> = { proxy_url: url, proxy_credential: credential ?? null };
  if (update.ttl !== undefined) set.proxy_ttl = update.ttl;
  return set;
}
