import type { StoreRouter } from '../../src/oci/index.js';
import type { StorageDriver } from '../../src/storage/index.js';

/** The one-backend case, for tests of the OCI services alone: every repository in `default`. */
export function singleStore(driver: StorageDriver, location = 'default'): StoreRouter {
  const store = { location, driver };
  return { storeFor: () => store, all: () => [store] };
}
