import type { Kysely } from 'kysely';
import type { CredentialService } from '../credentials/index.js';
import type { Database } from '../db/index.js';
import { AppError } from '../errors/index.js';
import type { RegistryBackend } from './definition.js';
import { resolveDirectory, type FilesystemRoots } from './filesystem-roots.js';
import * as store from './store.js';

/** A registry's own S3 backend names a DATA credential of its namespace. */
export async function checkCredential(
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
