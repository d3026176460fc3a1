export { CatalogService, type CatalogServiceOptions } from './catalog-service.js';
export type { CredentialUseCheck } from './credential-use.js';
export type { QueryPage } from './run-query.js';
export { HealthScheduler, type HealthSchedulerOptions } from './health/scheduler.js';
export { probeRegistry, type ProbeOptions, type ProbeResult } from './health/probe.js';
export type { HealthRecord } from './health/record.js';
export {
  normalizeEntry,
  entryFields,
  idPattern,
  storageTypes,
  registryTypes,
  type CatalogEntry,
  type StorageInfo,
  type StorageType,
  type RegistryType,
} from './entry.js';
export { parseQuery, queryEnvelopeKeys, type Query, type QueryInput } from './query.js';
export { parseFilter, type Filter } from './filter.js';
export { matches } from './matcher.js';
export { parseUpdate, applyUpdate } from './update.js';
export type { CatalogPermission } from './access.js';
export { noCredentials, type CatalogCredentials, type RegistryCredential } from './credentials.js';
export { ownRegistryId, ownRegistryEntry, type OwnRegistry } from './own-registry.js';
export { defaultRegistry } from './default-registry.js';
export { isObject, type Json, type JsonObject } from './json.js';
export type { CatalogTables } from './tables.js';
