import {
  DEFAULT_REGISTRY,
  locateRepository,
  type RegistryLookup,
  type RegistryLocation,
} from '../../src/access/index.js';

/**
 * The rule without resources: a repository's first path segment when that is the name of a
 * registry listed here, else `default`: for tests of the access room without the registries room.
 */
export class StaticRegistries implements RegistryLookup {
  private readonly names: ReadonlySet<string>;

  constructor(
    registries: readonly string[] = [],
    private readonly anonymous: readonly string[] = [],
  ) {
    this.names = new Set([DEFAULT_REGISTRY, ...registries]);
  }

  list(): string[] {
    return [...this.names];
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  anonymousPull(): string[] {
    return [...this.anonymous];
  }

  registryOf(repositoryName: string): RegistryLocation {
    return locateRepository(repositoryName, (first) => (this.names.has(first) ? first : undefined));
  }
}
