import { createHash } from 'node:crypto';
import type { CatalogEntry, StorageType } from './entry.js';
import type { JsonObject } from './json.js';

/** One of Arca's own registries, as the registries room describes it to the catalog. */
export interface OwnRegistry {
  /** The registry's name; `default` for the built-in one. */
  name: string;
  /** The first path segment of its images (its lowercased name); none for `default`. */
  pathSegment?: string;
  /** Where clients reach Arca, e.g. https://registry.example.com or http://127.0.0.1:5000 */
  publicUrl: string;
  storageType: StorageType;
  /** MB, or -1 for unlimited. */
  storageSizeMb?: number;
  authRequired: boolean;
  readOnly?: boolean;
}

/** Fixed namespace for the ids of Arca's own entries (UUID v5 of the registry name). */
const namespace = Buffer.from('6f1d2a4c8e3b4f7a9c0d5e6f7a8b9c0d', 'hex');

/** The same registry gets the same id on every start and every replica. */
export function ownRegistryId(name: string): string {
  const hash = createHash('sha1').update(namespace).update(`registry/${name}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Image references start with the host; a registry other than `default` adds its name as the first segment. */
function imagePrefix(registry: OwnRegistry): string {
  let host: string;
  try {
    host = new URL(registry.publicUrl).host;
  } catch {
    host = registry.publicUrl.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  }
  if (registry.name === 'default') return host;
  return `${host}/${registry.pathSegment ?? registry.name}`;
}

/**
 * The catalog entry of an own registry. What Arca knows is derived; what users curate (metadata and
 * tags) is kept from the previous entry.
 */
export function ownRegistryEntry(registry: OwnRegistry, previous?: CatalogEntry): CatalogEntry {
  const config: JsonObject = {
    managed_by: 'arca',
    arca_registry: registry.name,
    auth_required: registry.authRequired,
    read_only: registry.readOnly ?? false,
  };
  return {
    container_registry_id: ownRegistryId(registry.name),
    container_registry_name: registry.name,
    container_registry_metadata: previous?.container_registry_metadata ?? {},
    container_registry_tags: previous?.container_registry_tags ?? [],
    container_registry_public_url: registry.publicUrl,
    container_registry_image_prefix: imagePrefix(registry),
    container_registry_config: config,
    container_registry_storage_info: {
      storage_type: registry.storageType,
      storage_size: registry.storageSizeMb ?? -1,
      memory_size: -1,
      registry_type: 'aios',
    },
  };
}
