import { AppError } from '../errors/index.js';

/** The kinds of versioned assets, each kept in repositories `<registry>/<kind>s/<name>`. */
export const assetKinds = ['model', 'dataset', 'environment', 'component'] as const;
export type AssetKind = (typeof assetKinds)[number];

/** `models` → `model`; Azure's `data` is the dataset collection. */
export function kindOfCollection(segment: string): AssetKind | undefined {
  if (segment === 'data') return 'dataset';
  const kind = segment.endsWith('s') ? segment.slice(0, -1) : '';
  return (assetKinds as readonly string[]).includes(kind) ? (kind as AssetKind) : undefined;
}

export function collectionOf(kind: AssetKind): string {
  return `${kind}s`;
}

export function isAssetKind(value: unknown): value is AssetKind {
  return typeof value === 'string' && (assetKinds as readonly string[]).includes(value);
}

/** Asset names: lowercase words joined by `.`, `_` or `-`, at most 128 characters. */
export const assetNamePattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** Versions are OCI tags. */
export const versionPattern = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** Labels (`latest`, `production`, `champion`) are spelled like versions. */
export const labelPattern = versionPattern;

export function isAssetName(value: string): boolean {
  return value.length <= 128 && assetNamePattern.test(value);
}

export function isVersion(value: string): boolean {
  return versionPattern.test(value);
}

export function assertAssetName(value: string): string {
  if (!isAssetName(value)) {
    throw new AppError(
      'ASSET_INVALID',
      `name '${value.slice(0, 140)}': lowercase letters and digits, words joined by '.', '_' or '-', at most 128 characters`,
    );
  }
  return value;
}

export function assertVersion(value: string, field = 'version'): string {
  if (!isVersion(value)) {
    throw new AppError(
      'ASSET_INVALID',
      `${field} '${value.slice(0, 140)}': letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128 characters`,
    );
  }
  return value;
}

export function assertLabel(value: string): string {
  return assertVersion(value, 'label');
}

/** The label the server keeps on the most recently published version. */
export const LATEST = 'latest';

/** The repository of an asset: `<registry>/<kind>s/<name>`. */
export function assetRepository(registry: string, kind: AssetKind, name: string): string {
  return `${registry}/${collectionOf(kind)}/${name}`;
}

/** An asset named by its place: registry (its lowercase path), kind and name. */
export interface AssetKey {
  registry: string;
  kind: AssetKind;
  name: string;
}

/** `<registry>/<kind>s/<name>` read back; undefined for any other repository. */
export function parseAssetRepository(repository: string): AssetKey | undefined {
  const parts = repository.split('/');
  if (parts.length !== 3) return undefined;
  const [registry, collection, name] = parts as [string, string, string];
  const kind = collection === 'data' ? undefined : kindOfCollection(collection);
  if (!kind || !isAssetName(name)) return undefined;
  return { registry, kind, name };
}

export function assetUri(key: AssetKey, version: string): string {
  return `arca://registries/${key.registry}/${collectionOf(key.kind)}/${key.name}/versions/${version}`;
}
