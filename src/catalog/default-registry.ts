import type { ArcaConfig } from '../config/index.js';
import type { OwnRegistry } from './own-registry.js';

/**
 * The built-in `default` registry as the catalog lists it: reached at `http.host` when configured,
 * else at the address the server bound; stored where the server's storage is.
 */
export function defaultRegistry(config: ArcaConfig, boundUrl: string): OwnRegistry {
  return {
    name: 'default',
    publicUrl: (config.http.host ?? boundUrl).replace(/\/+$/, ''),
    storageType: config.storage.driver === 's3' ? 's3' : 'fs',
    authRequired: config.auth.kind !== 'none',
    readOnly: config.storage.maintenance.readonly.enabled,
  };
}
