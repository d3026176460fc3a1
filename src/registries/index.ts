export { Registries, DEFAULT_LOCATION, ownLocation, type OwnBackends } from './directory.js';
export { RegistryService, type RegistryView, type LocationInfo } from './service.js';
export { probeReason, registryProber, type ProbeOutcome } from './prober.js';
export { parseRegistryDefinition, type RegistryBackend } from './definition.js';
export { registryKey } from './names.js';
export { openRegistries, ownS3Config, type OpenedRegistries } from './open.js';
export { BrowserTransfers } from './browser-transfers.js';
