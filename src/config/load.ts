import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { applyEnvOverrides } from './env-overrides.js';
import { fileSchema, type ConfigFile, type S3StorageConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The configuration every other room reads; defaults applied, one storage driver and auth mode chosen. */
export interface ArcaConfig {
  version: string;
  log: {
    level: 'error' | 'warn' | 'info' | 'debug' | 'trace';
    formatter: 'json' | 'text';
    accesslog: { disabled: boolean };
  };
  http: Omit<ConfigFile['http'], 'net' | 'debug' | 'http2'>;
  storage: {
    driver: 'filesystem' | 's3';
    filesystem: { rootdirectory: string };
    s3?: S3StorageConfig;
    delete: { enabled: boolean };
    redirect: { disable: boolean };
    maintenance: ConfigFile['storage']['maintenance'];
  };
  auth: { kind: 'none' } | { kind: 'htpasswd'; realm: string; path: string };
  database: { url: string };
  datadir: string;
  limits: { manifestsize: number };
  /** Milliseconds, except concurrency. */
  catalog: { healthcheck: { interval: number; timeout: number; concurrency: number; history: number } };
}

/** registry:2 sections Arca accepts in a file but does not act on. */
const ignoredSections = [
  'notifications',
  'redis',
  'health',
  'proxy',
  'validation',
  'compatibility',
  'middleware',
  'reporting',
];
/** registry:2 auth modes Arca does not offer yet: refusing beats silently serving without the asked-for auth. */
const unsupportedAuth = ['token', 'silly'];

function describeIssue(issue: z.core.$ZodIssue, origins: Map<string, string>): string {
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((key) => {
        const full = path ? `${path}.${key}` : key;
        const variable = [...origins].find(([p]) => p === full || p.startsWith(`${full}.`))?.[1];
        return variable ? `config: ${variable}: unknown key '${full}'` : `config: unknown key '${full}'`;
      })
      .join('\n');
  }
  const variable = origins.get(path);
  return `config: ${variable ? `${variable} (${path})` : path || '(root)'}: ${issue.message}`;
}

function readFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config: ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError(`config: ${file} must be a YAML mapping`);
  return parsed as Record<string, unknown>;
}

/** Read the file (if any), overlay the environment, validate, apply defaults. */
export function loadConfigWithWarnings(opts: { file?: string; env?: Record<string, string | undefined> }): {
  config: ArcaConfig;
  warnings: string[];
} {
  const tree = opts.file ? readFile(opts.file) : {};
  const origins = applyEnvOverrides(tree, opts.env ?? {});
  const warnings: string[] = [];
  for (const section of ignoredSections) {
    if (section in tree) {
      warnings.push(`config: '${section}' is a registry:2 section Arca does not use; ignored`);
      delete tree[section];
    }
  }
  if ('loglevel' in tree) {
    const log = (tree.log ??= {}) as Record<string, unknown>;
    log.level ??= tree.loglevel;
    delete tree.loglevel;
    warnings.push("config: 'loglevel' is deprecated; use log.level");
  }
  const auth = tree.auth as Record<string, unknown> | undefined;
  for (const mode of unsupportedAuth) {
    if (auth && typeof auth === 'object' && mode in auth) {
      throw new ConfigError(
        `config: auth.${mode} is not supported by this version of Arca (use htpasswd or none)`,
      );
    }
  }

  if ((tree.catalog as Record<string, unknown> | undefined)?.maxentries !== undefined) {
    warnings.push("config: 'catalog.maxentries' is a registry:2 key Arca does not use; ignored");
  }

  const result = fileSchema.safeParse(tree);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => describeIssue(i, origins)).join('\n'));
  }
  return { config: toConfig(result.data), warnings };
}

export function loadConfig(opts: { file?: string; env?: Record<string, string | undefined> }): ArcaConfig {
  return loadConfigWithWarnings(opts).config;
}

function toConfig(file: ConfigFile): ArcaConfig {
  const { net: _net, debug: _debug, http2: _http2, ...http } = file.http;
  const s = file.storage;
  return {
    version: file.version,
    log: { level: file.log.level, formatter: file.log.formatter, accesslog: file.log.accesslog },
    http,
    storage: {
      driver: s.s3 ? 's3' : 'filesystem',
      filesystem: { rootdirectory: s.filesystem?.rootdirectory ?? join(file.datadir, 'storage') },
      s3: s.s3,
      delete: s.delete,
      redirect: s.redirect,
      maintenance: s.maintenance,
    },
    auth: file.auth?.htpasswd ? { kind: 'htpasswd', ...file.auth.htpasswd } : { kind: 'none' },
    database: { url: file.database?.url ?? `sqlite:${join(file.datadir, 'arca.db')}` },
    datadir: file.datadir,
    limits: file.limits,
    catalog: { healthcheck: file.catalog.healthcheck },
  };
}
