import { AppError } from '../errors/index.js';
import type { CredentialService } from '../credentials/index.js';
import { mayPresent } from '../net/index.js';

/** A registry's own S3 backend reads its keys from a DATA credential of the registry's namespace. */
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
