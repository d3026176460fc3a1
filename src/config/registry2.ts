import { ConfigError } from './config-error.js';
import { labelPath, type Origins } from './issues.js';

/** registry:2 sections Arca accepts in a file (or the environment) but does not act on yet. */
export const ignoredSections = [
  'redis',
  'health',
  'validation',
  'compatibility',
  'middleware',
  'reporting',
] as const;

/** registry:2 auth modes Arca does not offer: refusing beats serving without the auth asked for. */
const unsupportedAuthModes = ['silly'];

/** registry:2 storage drivers Arca does not offer, and what to do instead. */
const unsupportedStorageDrivers: Record<string, string> = {
  inmemory: 'it would lose every blob at restart; use filesystem',
  azure: 'use filesystem or s3',
  gcs: 'use filesystem or s3',
  swift: 'use filesystem or s3',
  oss: 'use filesystem or s3',
};

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Bring registry:2 usage Arca tolerates into Arca's shape and refuse what it cannot honour, before
 * the schema runs: warns about and drops ignored sections, moves the deprecated `loglevel` to
 * `log.level`, throws ConfigError for unsupported auth modes and storage drivers. Returns warnings.
 */
export function adaptRegistry2(tree: Tree, origins: Origins): string[] {
  const warnings: string[] = [];
  for (const section of ignoredSections) {
    if (section in tree) {
      warnings.push(`config: '${section}' is a registry:2 section Arca does not use; ignored`);
      delete tree[section];
    }
  }
  if ('loglevel' in tree) {
    const log = isTree(tree.log) ? tree.log : (tree.log = {});
    if (log.level === undefined || log.level === null) {
      log.level = tree.loglevel;
      origins.set('log.level', origins.get('loglevel') ?? 'loglevel');
      warnings.push("config: 'loglevel' is deprecated; use log.level");
    } else {
      warnings.push("config: 'loglevel' is deprecated and log.level is set; loglevel ignored");
    }
    delete tree.loglevel;
  }
  if (isTree(tree.catalog) && tree.catalog.maxentries !== undefined) {
    warnings.push("config: 'catalog.maxentries' is a registry:2 key Arca does not use; ignored");
  }
  if (isTree(tree.auth)) {
    for (const mode of unsupportedAuthModes) {
      if (mode in tree.auth) {
        throw new ConfigError(
          `config: ${labelPath(`auth.${mode}`, origins)}: auth mode '${mode}' is not supported (use htpasswd, token or none)`,
        );
      }
    }
  }
  if (isTree(tree.storage)) {
    for (const [driver, instead] of Object.entries(unsupportedStorageDrivers)) {
      if (driver in tree.storage) {
        throw new ConfigError(
          `config: ${labelPath(`storage.${driver}`, origins)}: storage driver '${driver}' is not supported (${instead})`,
        );
      }
    }
  }
  return warnings;
}
