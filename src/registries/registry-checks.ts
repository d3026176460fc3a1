import type { Kysely } from 'kysely';
import type { CredentialService } from '../credentials/index.js';
import type { Database } from '../db/index.js';
import { AppError } from '../errors/index.js';
import { mayPresent } from '../net/index.js';
import type { RegistryBackend } from './definition.js';
import { resolveDirectory, type FilesystemRoots } from './filesystem-roots.js';
import { DEFAULT_LOCATION } from './registry-directory.js';
import * as store from './store.js';

/** A registry's own S3 backend names a DATA credential of its namespace. */
export async function checkDataCredential(
  credentials: CredentialService,
  namespace: string,
  name: string,
): Promise<void> {
  const credential = await credentials.open(namespace, name);
  if (!credential) {
    throw new AppError(
      'REGISTRY_INVALID',
      `backend.s3.credential: no credential '${name}' in namespace ${namespace}`,
    );
  }
  if (credential.type !== 'DATA') {
    throw new AppError(
      'REGISTRY_INVALID',
      `backend.s3.credential: '${name}' is a ${credential.type} credential; a DATA one is needed`,
    );
  }
}

/** Allowed by the operator, and overlapping no other registry's backend (one's delete would remove the other's bytes). */
export async function checkFilesystemRoot(
  db: Kysely<Database>,
  roots: FilesystemRoots,
  rootdirectory: string,
): Promise<void> {
  const others: string[] = [];
  for (const row of await store.listRegistries(db)) {
    const root = row.backend && (JSON.parse(row.backend) as RegistryBackend).filesystem?.rootdirectory;
    const resolved = root ? resolveDirectory(root) : undefined;
    if (resolved) others.push(resolved);
  }
  roots.check(rootdirectory, others);
}

/**
 * A proxy's credential: a REGISTRY credential of the registry's namespace, stored for the
 * upstream's origin (a credential is never presented to another origin, so a mismatch could only
 * ever fail).
 */
export async function checkProxyCredential(
  credentials: CredentialService,
  namespace: string,
  name: string,
  url: string,
): Promise<void> {
  const credential = await credentials.open(namespace, name);
  if (!credential) {
    throw new AppError(
      'REGISTRY_INVALID',
      `proxy.credential: no credential '${name}' in namespace ${namespace}`,
    );
  }
  if (credential.type !== 'REGISTRY') {
    throw new AppError(
      'REGISTRY_INVALID',
      `proxy.credential: '${name}' is a ${credential.type} credential; a REGISTRY one is needed`,
    );
  }
  if (!mayPresent(credential.payload.registry ?? '', new URL(`${url}/`))) {
    throw new AppError(
      'REGISTRY_INVALID',
      `proxy.credential: '${name}' is stored for registry=${credential.payload.registry}, not for ${new URL(url).origin}: it is never presented elsewhere`,
    );
  }
}

/** A location the server's configuration names (or the default one). */
export function checkKnownLocation(
  locations: ReadonlyMap<string, unknown>,
  name: string,
  what: string,
): void {
  if (name === DEFAULT_LOCATION || locations.has(name)) return;
  const known = [DEFAULT_LOCATION, ...locations.keys()].join(', ');
  throw new AppError(
    'REGISTRY_INVALID',
    `${what}: no location named '${name}' in the server's configuration (known: ${known})`,
  );
}
