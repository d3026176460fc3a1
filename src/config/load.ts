import { readFileSync } from 'node:fs';
import { toArcaConfig, type ArcaConfig } from './arca-config.js';
import { ConfigError } from './config-error.js';
import { applyEnvOverrides } from './env-overrides.js';
import { describeIssue, labelPath } from './issues.js';
import { pathProblems } from './paths.js';
import { adaptRegistry2 } from './registry2.js';
import { fileSchema } from './schema.js';
import { parseYamlTree } from './yaml-tree.js';

/** Where a configuration comes from: an optional YAML file, then REGISTRY_* / ARCA_* variables. */
export interface ConfigSource {
  file?: string;
  env?: Record<string, string | undefined>;
  /**
   * Also check the files and directories the configuration names (see pathProblems): what
   * `config validate` and `serve` do; off for callers that only read the settings.
   */
  checkPaths?: boolean;
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYamlTree(text);
  } catch (err) {
    throw new ConfigError(`config: ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isTree(parsed)) throw new ConfigError(`config: ${file} must be a YAML mapping`);
  return parsed;
}

/**
 * registry:2 reads a key written with no value as unset (its zero value, here the default), except
 * a storage driver or auth mode written bare (`filesystem:`), which is chosen with no parameters.
 */
function normalizeNulls(tree: Tree, path = ''): void {
  for (const [key, value] of Object.entries(tree)) {
    if (value === null) {
      if (path === 'storage' || path === 'auth') tree[key] = {};
      else delete tree[key];
    } else if (isTree(value)) normalizeNulls(value, path ? `${path}.${key}` : key);
  }
}

/** The file to read when none is named: ARCA_CONFIG, else registry:2's REGISTRY_CONFIGURATION_PATH. */
export function configFileFromEnv(env: Record<string, string | undefined>): string | undefined {
  return env.ARCA_CONFIG || env.REGISTRY_CONFIGURATION_PATH || undefined;
}

/**
 * Read the file (if any), overlay the environment, validate, apply defaults. Warnings name what
 * was accepted but is ignored. Throws ConfigError naming the key path or variable at fault.
 */
export function loadConfigWithWarnings(source: ConfigSource): { config: ArcaConfig; warnings: string[] } {
  const tree = source.file ? readFile(source.file) : {};
  const origins = applyEnvOverrides(tree, source.env ?? {});
  const warnings = adaptRegistry2(tree, origins);
  normalizeNulls(tree);
  const result = fileSchema.safeParse(tree, {
    error: (issue) => (issue.input === undefined && issue.code === 'invalid_type' ? 'required' : undefined),
  });
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => describeIssue(i, origins)).join('\n'));
  }
  const config = toArcaConfig(result.data);
  if (source.checkPaths) {
    const problems = pathProblems(config, (key) => labelPath(key, origins));
    if (problems.errors.length > 0) throw new ConfigError(problems.errors.join('\n'));
    warnings.push(...problems.warnings);
  }
  return { config, warnings };
}

/** loadConfigWithWarnings without the warnings. */
export function loadConfig(source: ConfigSource): ArcaConfig {
  return loadConfigWithWarnings(source).config;
}
