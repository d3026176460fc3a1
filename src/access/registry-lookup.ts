import type { RegistryLocation } from './scope.js';

/** The built-in registry that holds every repository whose first segment names no registry. */
export const DEFAULT_REGISTRY = 'default';
/** The namespace of the built-in registry, and of a registry whose row names none. */
export const DEFAULT_NAMESPACE = 'default';

/**
 * Which registry a repository belongs to (and so which role assignments reach it), which registries
 * exist, and which allow anonymous pulls. The registries room implements it over registries as
 * resources.
 */
export interface RegistryLookup {
  registryOf(repositoryName: string): RegistryLocation;
  has(name: string): boolean;
  list(): string[];
  /** Registries anyone may pull from without signing in. */
  anonymousPull(): string[];
}

/**
 * The registry of a repository: its first path segment when `registryNamed` knows it, else the
 * built-in `default`. A single-segment name is always a repository of `default`.
 */
export function locateRepository(
  repositoryName: string,
  registryNamed: (firstSegment: string) => string | undefined,
  namespaceOf: (registry: string) => string = () => DEFAULT_NAMESPACE,
): RegistryLocation {
  const slash = repositoryName.indexOf('/');
  const registry = slash > 0 ? registryNamed(repositoryName.slice(0, slash)) : undefined;
  if (registry === undefined) return { registry: DEFAULT_REGISTRY, namespace: DEFAULT_NAMESPACE };
  return { registry, namespace: namespaceOf(registry) };
}
