import type { RegistryLocation } from '../access/index.js';

/** What the assets room asks about registries (the registries room answers, from memory). */
export interface AssetRegistries {
  /** A registry by its path (the first segment of its repositories), with its namespace. */
  locate(registry: string): RegistryLocation | undefined;
  /** The default registry of a namespace, when it has one. */
  defaultOf(namespace: string): string | undefined;
}
