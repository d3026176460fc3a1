import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { AppError } from '../errors/index.js';
import {
  DEFAULT_NAMESPACE,
  DEFAULT_REGISTRY,
  locateRepository,
  type RegistryLookup,
} from '../access/index.js';
import type { BlobStore, StoreRouter } from '../oci/index.js';
import type { StorageDriver } from '../storage/index.js';
import { probeReason } from './prober.js';
import { listRegistries, type RegistryRow } from './store.js';

/** The built-in registry's location: the storage configured as in registry:2. */
export const DEFAULT_LOCATION = 'default';

/** The location id of a registry that brings its own backend. */
export function ownLocation(key: string): string {
  return `registry:${key}`;
}

/** The drivers of registries' own backends. */
export interface OwnBackends {
  /** Build the driver of a registry's own backend (opening its credential). */
  open(row: RegistryRow): Promise<StorageDriver>;
  /**
   * What each registry's driver depends on besides its definition (its credential's version, or
   * its absence), by registry key: a driver is rebuilt when that changes, so a replaced or deleted
   * credential takes effect on every replica at the next refresh.
   */
  versions(rows: readonly RegistryRow[]): Promise<Map<string, string>>;
}

/**
 * Registries as the hot paths see them: an in-memory copy of the `registries` table, refreshed after
 * every change here and every few seconds (for changes made by other replicas). Answers, without a
 * query, which registry a repository belongs to and which store its bytes live in.
 */
export class RegistryDirectory implements RegistryLookup, StoreRouter {
  private rows = new Map<string, RegistryRow>();
  private readonly ownDrivers = new Map<string, { spec: string; driver: StorageDriver }>();
  private readonly ownErrors = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    /** `default` and the configured locations. */
    private readonly locations: ReadonlyMap<string, StorageDriver>,
    private readonly ownBackends: OwnBackends,
    /** Registries of the configuration's `access.registries` and `access.anonymouspull` (kept working). */
    private readonly staticNames: readonly string[] = [],
    private readonly staticAnonymous: readonly string[] = [],
  ) {}

  /** Re-read the table; build drivers for registries with their own backend. */
  async refresh(): Promise<void> {
    const rows = await listRegistries(this.db);
    const own = rows.filter((r) => r.backend !== null);
    const versions = own.length > 0 ? await this.ownBackends.versions(own) : new Map<string, string>();
    const keys = new Set(own.map((r) => r.name_key));
    for (const key of this.ownDrivers.keys()) if (!keys.has(key)) this.ownDrivers.delete(key);
    for (const key of this.ownErrors.keys()) if (!keys.has(key)) this.ownErrors.delete(key);
    for (const row of own) {
      const spec = `${row.backend}\0${versions.get(row.name_key) ?? ''}`;
      const cached = this.ownDrivers.get(row.name_key);
      if (cached?.spec === spec) continue;
      try {
        this.ownDrivers.set(row.name_key, { spec, driver: await this.ownBackends.open(row) });
        this.ownErrors.delete(row.name_key);
      } catch (err) {
        // Its state says why (the prober records it); its content is unavailable until fixed.
        this.ownDrivers.delete(row.name_key);
        this.ownErrors.set(row.name_key, probeReason(err));
      }
    }
    this.rows = new Map(rows.map((r) => [r.name_key, r]));
  }

  /** Refresh every `intervalMs` (replicas see each other's changes). */
  start(intervalMs: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => this.refresh().catch(onError), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Why a registry's own backend could not be set up, if it could not. */
  ownBackendError(key: string): string | undefined {
    return this.ownErrors.get(key);
  }

  /** The registries whose last probe found them unusable (for readiness), by name. */
  inError(): string[] {
    return [...this.rows.values()].filter((r) => r.state === 'Error').map((r) => r.name);
  }

  row(key: string): RegistryRow | undefined {
    return this.rows.get(key.toLowerCase());
  }

  all(): BlobStore[] {
    const stores: BlobStore[] = [...this.locations].map(([location, driver]) => ({ location, driver }));
    for (const [key, { driver }] of this.ownDrivers) stores.push({ location: ownLocation(key), driver });
    return stores;
  }

  /** The driver of a location, or undefined when it is not (or no longer) usable. */
  driverOf(location: string): StorageDriver | undefined {
    if (location.startsWith('registry:'))
      return this.ownDrivers.get(location.slice('registry:'.length))?.driver;
    return this.locations.get(location);
  }

  // RegistryLookup (access control)

  registryOf(repositoryName: string) {
    return locateRepository(
      repositoryName,
      (first) => (this.rows.has(first) || this.staticNames.includes(first) ? first : undefined),
      (registry) => this.rows.get(registry)?.namespace ?? DEFAULT_NAMESPACE,
    );
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return key === DEFAULT_REGISTRY || this.rows.has(key) || this.staticNames.includes(key);
  }

  list(): string[] {
    return [DEFAULT_REGISTRY, ...this.staticNames, ...[...this.rows.values()].map((r) => r.name_key)];
  }

  anonymousPull(): string[] {
    const fromRows = [...this.rows.values()].filter((r) => r.anonymous_pull === 1).map((r) => r.name_key);
    return [...this.staticAnonymous, ...fromRows];
  }

  // StoreRouter (the OCI room)

  storeFor(repository: string): BlobStore {
    const { registry } = this.registryOf(repository);
    const row = this.rows.get(registry);
    const location = row ? row.primary_location : DEFAULT_LOCATION;
    const driver = this.driverOf(location);
    if (!driver) {
      throw new AppError('UNAVAILABLE', `registry ${registry}: its storage (${location}) is not available`);
    }
    return { location, driver };
  }

  /** Every location that should hold a repository's blobs: its registry's primary and additional ones. */
  locationsFor(repository: string): string[] {
    const row = this.rows.get(this.registryOf(repository).registry);
    if (!row) return [DEFAULT_LOCATION];
    return [row.primary_location, ...(JSON.parse(row.locations) as string[])];
  }
}
