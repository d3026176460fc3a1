import { AccessControl, type AccessSettings, type AuthSettings } from '../../src/access/index.js';
import { StaticRegistries } from './static-registries.js';

const day = 86_400_000;

/**
 * The access room alone, on a test database: `auth`, signing keys in `keysDirectory`, the usual
 * token lifetimes, no registries but `default`, a silent log.
 */
export function testAccessControl(
  db: ConstructorParameters<typeof AccessControl>[0],
  auth: AuthSettings,
  keysDirectory: string,
  extra: Partial<AccessSettings> = {},
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
    new StaticRegistries(),
  );
}
