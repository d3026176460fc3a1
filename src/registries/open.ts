import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { AccessControl } from '../access/index.js';
import { parseS3Params, type ArcaConfig, type S3StorageConfig } from '../config/index.js';
import { credentialKey, type CredentialService } from '../credentials/index.js';
import type { Database } from '../db/index.js';
import { createDriver, createStorage, type StorageDriver, type StorageOptions } from '../storage/index.js';
import type { RegistryBackend } from './definition.js';
import { DEFAULT_LOCATION, RegistryDirectory } from './registry-directory.js';
import { FilesystemRoots } from './filesystem-roots.js';
import type { LocationInfo } from './registry-view.js';
import type { RegistryRow } from './store.js';

/**
 * registry:2's s3 parameters for a bucket a registry brings: HTTPS, path-style, keys from its DATA
 * credential, the rest registry:2's defaults, as `storage.s3` would have them.
 */
export function ownS3Config(
  backend: NonNullable<RegistryBackend['s3']>,
  accessKey: string,
  secretKey: string,
): S3StorageConfig {
  const endpoint = /^https:\/\//i.test(backend.endpoint) ? backend.endpoint : `https://${backend.endpoint}`;
  return parseS3Params(
    {
      accesskey: accessKey,
      secretkey: secretKey,
      region: backend.region,
      regionendpoint: endpoint,
      forcepathstyle: true,
      bucket: backend.bucket,
      rootdirectory: backend.rootdirectory,
    },
    'backend.s3',
  );
}

function locationInfo(storage: { s3?: S3StorageConfig }): LocationInfo {
  if (!storage.s3) return { endpoint: null, bucket: null };
  return {
    endpoint: storage.s3.regionendpoint ?? `s3.${storage.s3.region}.amazonaws.com`,
    bucket: storage.s3.bucket,
  };
}

export interface OpenedRegistries {
  registries: RegistryDirectory;
  /** The built-in storage (registry:2's `storage`): `default`'s location. */
  defaultStorage: StorageDriver;
  locationInfo: Map<string, LocationInfo>;
  defaultLocationInfo: LocationInfo;
  /** Where registries' own filesystem backends may lie. */
  filesystemRoots: FilesystemRoots;
}

/** What no registry's own backend may overlap: the server's keys, database and configured stores. */
function reservedPaths(config: ArcaConfig): string[] {
  const paths = [AccessControl.keysDirectoryIn(config.datadir), join(config.datadir, 'credentials.key')];
  const db = config.database.url;
  if (db.startsWith('sqlite:') && db !== 'sqlite::memory:') paths.push(db.slice('sqlite:'.length));
  if (config.storage.driver === 'filesystem') paths.push(config.storage.filesystem.rootdirectory);
  for (const location of Object.values(config.locations)) {
    if (location.storage.filesystem) paths.push(location.storage.filesystem.rootdirectory);
  }
  return paths;
}

/** The locations of the configuration and the registries of the database, ready to route. */
export async function openRegistries(
  config: ArcaConfig,
  db: Kysely<Database>,
  credentials: CredentialService,
  /** The server's outbound policy (the object stores' connections) and the storage metrics. */
  storage: Pick<StorageOptions, 'guard' | 'metrics'> = {},
): Promise<OpenedRegistries> {
  const { guard, metrics } = storage;
  const defaultStorage = createStorage(config.storage, { guard, metrics });
  const drivers = new Map<string, StorageDriver>([[DEFAULT_LOCATION, defaultStorage]]);
  const info = new Map<string, LocationInfo>();
  for (const [name, location] of Object.entries(config.locations)) {
    drivers.set(name, createDriver(location.storage, { guard, metrics }));
    info.set(name, locationInfo(location.storage));
  }
  const filesystemRoots = new FilesystemRoots(
    config.registries.filesystem.allowedroots,
    reservedPaths(config),
  );
  const open = async (row: RegistryRow): Promise<StorageDriver> => {
    const backend = JSON.parse(row.backend!) as RegistryBackend;
    // Checked again here: a row may predate the rule, or the configuration may have changed.
    if (backend.filesystem)
      return createDriver(
        { filesystem: { rootdirectory: filesystemRoots.check(backend.filesystem.rootdirectory) } },
        { metrics },
      );
    const s3 = backend.s3!;
    const credential = await credentials.open(row.namespace, s3.credential);
    if (!credential)
      throw new Error(`its credential '${s3.credential}' does not exist (namespace ${row.namespace})`);
    if (credential.type !== 'DATA')
      throw new Error(`its credential '${s3.credential}' is not a DATA credential`);
    const p = credential.payload;
    return createDriver({ s3: ownS3Config(s3, p.access_key_id!, p.access_key!) }, { guard, metrics });
  };
  const versions = async (rows: readonly RegistryRow[]): Promise<Map<string, string>> => {
    const all = await credentials.versions();
    const out = new Map<string, string>();
    for (const row of rows) {
      const s3 = (JSON.parse(row.backend!) as RegistryBackend).s3;
      if (s3) out.set(row.name_key, all.get(credentialKey(row.namespace, s3.credential)) ?? 'absent');
    }
    return out;
  };
  const registries = new RegistryDirectory(
    db,
    drivers,
    { open, versions },
    config.access.registries,
    config.access.anonymouspull,
  );
  await registries.refresh();
  return {
    registries,
    defaultStorage,
    locationInfo: info,
    defaultLocationInfo: locationInfo({ s3: config.storage.driver === 's3' ? config.storage.s3 : undefined }),
    filesystemRoots,
  };
}
