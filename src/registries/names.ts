import { AppError } from '../errors/index.js';

/** 2-32 letters, digits, `_` and `-`, starting with a letter or digit. */
const namePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$/;
/** An OCI path component: the registry's lowercased name is the first segment of its repositories. */
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;

/** Names that are not registries' to take. */
const reserved = new Set(['default', '_catalog', 'v2']);

/** Check a registry name; returns its key (lowercase: unique, and what OCI clients write). */
export function registryKey(name: string): string {
  if (!namePattern.test(name)) {
    throw new AppError(
      'REGISTRY_INVALID',
      `name ${JSON.stringify(name.slice(0, 64))}: 2-32 letters, digits, '_' or '-', starting with a letter or digit`,
    );
  }
  const key = name.toLowerCase();
  if (!pathComponent.test(key)) {
    throw new AppError(
      'REGISTRY_INVALID',
      `name ${JSON.stringify(name)}: as an image path '${key}/…' it must end with a letter or digit and not repeat '_'`,
    );
  }
  if (reserved.has(key)) throw new AppError('REGISTRY_INVALID', `name '${name}' is reserved`);
  return key;
}

const namespacePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$/;

export function checkNamespace(namespace: string): string {
  if (!namespacePattern.test(namespace)) {
    throw new AppError(
      'REGISTRY_INVALID',
      `namespace ${JSON.stringify(namespace.slice(0, 64))}: 2-32 letters, digits, '_' or '-', starting with a letter or digit`,
    );
  }
  return namespace;
}
