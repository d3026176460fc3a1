import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { singleFile, walkDir, type LocalFile } from '../transfer/local-files.js';
import { stat } from 'node:fs/promises';
import type { AssetKind } from './asset-rules.js';

type Yaml = Record<string, unknown>;

/** An Azure ML asset YAML as a version to publish. */
export interface AzureAsset {
  name: string;
  version: string;
  /** description, tags, properties, type (models and data), spec (the kind's other fields). */
  metadata: Record<string, unknown>;
  files: LocalFile[];
}

const metadataKeys = new Set(['$schema', 'name', 'version', 'description', 'tags', 'properties']);

function text(value: unknown, key: string, file: string): string {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))
    return String(value);
  throw new Error(`${file}: ${key} must be a string or a number`);
}

function stringMap(value: unknown, key: string, file: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}: ${key} must be a mapping`);
  return Object.fromEntries(
    Object.entries(value as Yaml).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

/** The files a local `path`-like field names: a folder's files under `prefix`, or one file by its name. */
async function filesAt(value: unknown, key: string, file: string, prefix: string): Promise<LocalFile[]> {
  const given = text(value, key, file);
  if (/^[a-z][a-z0-9+.-]*:/i.test(given) && !/^file:/i.test(given))
    throw new Error(`${file}: ${key} ${JSON.stringify(given)}: only local paths are uploaded`);
  const local = resolve(dirname(file), given.replace(/^file:(\/\/)?/i, ''));
  const info = await stat(local).catch(() => undefined);
  if (!info) throw new Error(`${file}: ${key} ${JSON.stringify(given)}: no such file or folder`);
  return info.isDirectory() ? walkDir(local, prefix) : [await singleFile(local, prefix + basename(local))];
}

/**
 * Read an Azure ML model, data, environment or component YAML as it is: name, version,
 * description, tags and properties become the version's; a model's or data asset's `type` its
 * type; every other field is kept as the version's `spec`. The local paths in it, relative to the
 * YAML's folder, are uploaded: `path` (model, data) and `code` (component) at the version's root,
 * `conda_file` by its file name, an environment's `build.path` under `build/`.
 */
export async function readAzureAsset(kind: AssetKind, file: string): Promise<AzureAsset> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new Error(`${file}: expected a mapping`);
  const yaml = doc as Yaml;
  if (yaml.name === undefined) throw new Error(`${file}: name is required`);
  if (yaml.version === undefined) throw new Error(`${file}: version is required`);
  const metadata: Record<string, unknown> = {};
  if (yaml.description !== undefined) metadata.description = text(yaml.description, 'description', file);
  const tags = stringMap(yaml.tags, 'tags', file);
  if (tags) metadata.tags = tags;
  const properties = stringMap(yaml.properties, 'properties', file);
  if (properties) metadata.properties = properties;
  const spec = Object.fromEntries(Object.entries(yaml).filter(([k]) => !metadataKeys.has(k)));
  if ((kind === 'model' || kind === 'dataset') && yaml.type !== undefined)
    metadata.type = text(yaml.type, 'type', file);
  metadata.spec = spec;
  const files: LocalFile[] = [];
  if ((kind === 'model' || kind === 'dataset') && yaml.path !== undefined)
    files.push(...(await filesAt(yaml.path, 'path', file, '')));
  if (kind === 'component' && yaml.code !== undefined)
    files.push(...(await filesAt(yaml.code, 'code', file, '')));
  if (kind === 'environment') {
    if (yaml.conda_file !== undefined)
      files.push(...(await filesAt(yaml.conda_file, 'conda_file', file, '')));
    const build = yaml.build as Yaml | undefined;
    if (build?.path !== undefined) files.push(...(await filesAt(build.path, 'build.path', file, 'build/')));
  }
  return {
    name: text(yaml.name, 'name', file),
    version: text(yaml.version, 'version', file),
    metadata,
    files,
  };
}
