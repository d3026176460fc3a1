import type { RegistryLocation } from './scope.js';

/** The built-in registry that holds every repository whose first segment names no registry. */
export const DEFAULT_REGISTRY = 'default';
/** Until registries are resources of their own, every registry lives in this namespace. */
export const DEFAULT_NAMESPACE = 'default';

/**
 * Which registry a repository belongs to, and so which role assignments reach it.
 *
 * Interim rule until registries become resources (the registries room replaces this one function):
 * the repository's first path segment when that is the name of a known registry, else `default`.
 * Known registries are `default` and those listed in the `access.registries` configuration.
 */
export class RegistryDirectory {
  private readonly names: ReadonlySet<string>;

  constructor(registries: readonly string[] = []) {
    this.names = new Set([DEFAULT_REGISTRY, ...registries]);
  }

  /** The registries known today. */
  list(): string[] {
    return [...this.names];
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  registryOf(repositoryName: string): RegistryLocation {
    const slash = repositoryName.indexOf('/');
    const first = slash < 0 ? repositoryName : repositoryName.slice(0, slash);
    // A single-segment name is a repository of the default registry, never a registry itself.
    const registry = slash > 0 && this.names.has(first) ? first : DEFAULT_REGISTRY;
    return { registry, namespace: DEFAULT_NAMESPACE };
  }
}
