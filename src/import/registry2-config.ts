import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseS3Params, parseYamlTree, type S3StorageConfig } from '../config/index.js';

/** registry:2's default `storage.filesystem.rootdirectory`. */
export const registry2DefaultRoot = '/var/lib/registry';

/** Keys of registry:2's `storage` section that are settings, not drivers. */
const storageSettings = new Set(['delete', 'redirect', 'cache', 'maintenance', 'tag']);

/** Where a registry:2 configuration keeps its storage. */
export type Registry2Storage =
  { driver: 'filesystem'; rootdirectory: string } | { driver: 's3'; s3: S3StorageConfig };

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The storage a registry:2 configuration file names. Only the file is read: `REGISTRY_*` variables
 * are Arca's own overrides here, so they do not apply to the source (use --root to point elsewhere).
 * filesystem and s3 (registry:2's keys, read as Arca reads its own) can be imported from; other
 * drivers are refused by name.
 */
export function readRegistry2Storage(file: string): Registry2Storage {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read registry:2 config ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`registry:2 config ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (!isMapping(doc) || !isMapping(doc.storage)) {
    throw new Error(`registry:2 config ${file} has no storage section`);
  }
  const drivers = Object.keys(doc.storage).filter((k) => !storageSettings.has(k));
  if (drivers.length !== 1) {
    throw new Error(
      `registry:2 config ${file}: expected one storage driver, found ${drivers.length ? drivers.join(', ') : 'none'}`,
    );
  }
  const driver = drivers[0]!;
  if (driver === 's3') {
    // Numbers as written, as Arca reads its own file: the keys are converted by their type.
    const tree = parseYamlTree(text) as { storage: Record<string, unknown> };
    const params = tree.storage.s3;
    if (!isMapping(params)) throw new Error(`registry:2 config ${file}: storage.s3 must be a mapping`);
    try {
      return { driver: 's3', s3: parseS3Params(params, 'storage.s3') };
    } catch (err) {
      throw new Error(`registry:2 config ${file}:\n${(err as Error).message}`, { cause: err });
    }
  }
  if (driver !== 'filesystem') {
    throw new Error(
      `registry:2 config ${file}: storage driver '${driver}' cannot be imported from; only filesystem and s3 can (copy the tree to a directory and use --root)`,
    );
  }
  const params = doc.storage.filesystem;
  if (params !== null && params !== undefined && !isMapping(params)) {
    throw new Error(`registry:2 config ${file}: storage.filesystem must be a mapping`);
  }
  const root = params?.rootdirectory;
  if (root !== undefined && root !== null && (typeof root !== 'string' || root === '')) {
    throw new Error(`registry:2 config ${file}: storage.filesystem.rootdirectory must be a path`);
  }
  return { driver: 'filesystem', rootdirectory: typeof root === 'string' ? root : registry2DefaultRoot };
}
