export type { ArcaConfig } from './arca-config.js';
export type { S3StorageConfig } from './schema.js';
export { ConfigError } from './config-error.js';
export { loadConfig, loadConfigWithWarnings, configFileFromEnv, type ConfigSource } from './load.js';
export { parseDuration } from './duration.js';
export { parseListenAddress } from './listen-address.js';
export { configJsonSchema } from './json-schema.js';
export { configCommand } from './command.js';
