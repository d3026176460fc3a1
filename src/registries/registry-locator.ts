import { DEFAULT_NAMESPACE, DEFAULT_REGISTRY, type RegistryLocation } from '../access/index.js';
import type { RegistryDirectory } from './registry-directory.js';

/** Where a registry is (its path and namespace) and each namespace's default, from the directory's memory. */
export interface RegistryLocator {
  locate(registry: string): RegistryLocation | undefined;
  defaultOf(namespace: string): string | undefined;
}

export function registryLocator(directory: RegistryDirectory): RegistryLocator {
  return {
    locate(registry) {
      const key = registry.toLowerCase();
      if (!directory.has(key)) return undefined;
      return { registry: key, namespace: directory.row(key)?.namespace ?? DEFAULT_NAMESPACE };
    },
    defaultOf(namespace) {
      for (const name of directory.list()) {
        const row = directory.row(name);
        if (row && row.namespace === namespace && row.is_default === 1) return row.name_key;
      }
      return namespace === DEFAULT_NAMESPACE ? DEFAULT_REGISTRY : undefined;
    },
  };
}
