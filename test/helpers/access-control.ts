import {
  AccessControl,
  type AccessSettings,
  type AuthSettings,
  type RegistryLookup,
} from '../../src/access/index.js';
import { StaticRegistries } from './static-registries.js';

const day = 86_400_000;

/**
 * The access room alone, on a test database: `auth`, signing keys in `keysDirectory`, the usual
 * token lifetimes, a silent log, and no registries but `default` unless `registries` says otherwise.
 */
export function testAccessControl(
  db: ConstructorParameters<typeof AccessControl>[0],
  auth: AuthSettings,
  keysDirectory: string,
  extra: Partial<AccessSettings> = {},
  registries: RegistryLookup = new StaticRegistries(),
): AccessControl {
  return new AccessControl(
    db,
    {
      auth,
      keysDirectory,
      token: {
        issuer: 'arca',
        service: 'arca',
        expirationMs: 300_000,
        refreshExpirationMs: 30 * day,
        algorithm: 'ES256',
        rotationMs: 30 * day,
      },
      ...extra,
    },
    { error: () => undefined, info: () => undefined },
    registries,
  );
}
