/** The four kinds of asset, each stored in `<registry>/<kind>s/<name>`. */
export const assetKinds = ['model', 'dataset', 'environment', 'component'] as const;
export type AssetKind = (typeof assetKinds)[number];

/** `models`, `datasets`, …: the kind's segment in repositories and API paths. */
export function plural(kind: AssetKind): string {
  return `${kind}s`;
}

const namePattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const versionPattern = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const registryPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$/;

/** Throw unless `name` is an asset name: lowercase `[a-z0-9]+([._-][a-z0-9]+)*`, at most 128 characters. */
export function checkName(name: string): string {
  if (name.length > 128 || !namePattern.test(name))
    throw new Error(
      `--name ${JSON.stringify(name)}: an asset name is lowercase letters and digits, separated by single '.', '_' or '-', at most 128 characters`,
    );
  return name;
}

/** Throw unless `version` is a version (an OCI tag): `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`. */
export function checkVersion(version: string): string {
  if (!versionPattern.test(version))
    throw new Error(
      `--version ${JSON.stringify(version)}: a version is letters, digits, '_', '.' and '-', starting with a letter, digit or '_', at most 128 characters`,
    );
  return version;
}

/** Throw unless `registry` is a registry name (2-32 letters, digits, `_`, `-`). */
export function checkRegistry(registry: string): string {
  if (!registryPattern.test(registry))
    throw new Error(
      `--registry ${JSON.stringify(registry)}: a registry name is 2-32 letters, digits, '_' and '-', starting with a letter or digit`,
    );
  return registry;
}

/** The repository a version's blobs go to. */
export function assetRepository(registry: string, kind: AssetKind, name: string): string {
  return `${registry.toLowerCase()}/${plural(kind)}/${name}`;
}

/** `k=v` options as an object; `flag` names the option in the error. */
export function keyValues(items: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!items || items.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) throw new Error(`${flag} ${JSON.stringify(item)}: expected key=value`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

const uriPattern = /^(arca:\/\/|azureml:\/\/|azureml:)|^[a-z0-9][a-z0-9._-]*[:@][^/]+$/;

/** Throw unless `uri` looks like an asset address the server resolves (it decides the rest). */
export function checkAssetUri(uri: string, flag: string): string {
  if (!uriPattern.test(uri))
    throw new Error(
      `${flag} ${JSON.stringify(uri)}: expected arca://registries/<r>/<kinds>/<name>/versions/<v>, an azureml: address, <name>:<version> or <name>@<label>`,
    );
  return uri;
}
