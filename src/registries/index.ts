export { RegistryDirectory, DEFAULT_LOCATION, ownLocation, type OwnBackends } from './registry-directory.js';
export { RegistryService, type RegistryView, type LocationInfo } from './registry-service.js';
export { probeReason, registryProber, type ProbeOutcome } from './prober.js';
export { parseRegistryDefinition, type RegistryBackend } from './definition.js';
export { registryKey } from './names.js';
export { openRegistries, ownS3Config, type OpenedRegistries } from './open.js';
export { BrowserTransfers } from './browser-transfers.js';
export type { RegistriesTables } from './tables.js';
export { registryLocator, type RegistryLocator } from './registry-locator.js';
