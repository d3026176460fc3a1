export { loadConfig, loadConfigWithWarnings, ConfigError, type ArcaConfig } from './load.js';
export type { S3StorageConfig } from './schema.js';
export { parseDuration } from './duration.js';
export { parseListenAddress } from './listen-address.js';
export { configCommand } from './command.js';
