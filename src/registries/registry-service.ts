import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { AppError } from '../errors/index.js';
import type { CredentialService, CredentialUser } from '../credentials/index.js';
import type { Distribution, Replicator } from '../oci/index.js';
import { blobPath } from '../oci/index.js';
import { proxyUpdate } from './proxy-settings.js';
import { parseRegistryDefinition, parseRegistryUpdate, type RegistryBackend } from './definition.js';
import { DEFAULT_LOCATION, ownLocation, type RegistryDirectory } from './registry-directory.js';
import { registryView, type LocationInfo, type RegistryView } from './registry-view.js';
import type { FilesystemRoots } from './filesystem-roots.js';
import {
  checkDataCredential,
  checkFilesystemRoot,
  checkKnownLocation,
  checkProxyCredential,
} from './registry-checks.js';
import { checkNamespace, registryKey } from './names.js';
import * as store from './store.js';
import type { RegistryRow } from './store.js';

export interface RegistryServiceOptions {
  /** Configured locations (besides `default`), with what the list shows of them. */
  locations: ReadonlyMap<string, LocationInfo>;
  defaultLocation: LocationInfo;
  credentials: CredentialService;
  /** Where a registry's own filesystem backend may lie. */
  filesystemRoots: FilesystemRoots;
  /** Probes a registry's locations: `Active`, or `Error` with the reason. */
  probe: (row: RegistryRow) => Promise<{ state: 'Active' | 'Error'; reason: string | null }>;
  /** Before a new registry's first probe: write its buckets' CORS rules (object stores). */
  prepare?: (row: RegistryRow) => Promise<void>;
  /** After any change: the catalog lists Arca's registries, access control forgets cached grants. */
  changed: () => Promise<void>;
  /** The assets a registry holds: it is deleted only by force while it has any; then they go too. */
  assets?: { countIn(registry: string): Promise<number>; removeRegistry(registry: string): Promise<void> };
  /** What other rooms keep about a registry (its webhooks), removed with it. */
  forget?: (registry: string) => Promise<void>;
  /** A pull-through cache's counters since this process started (hits, misses, bytes, errors). */
  proxyStats?: (registry: string) => Record<string, number> | undefined;
  /** Replication: its per-location status, back-fills of added locations, copies dropped for removed ones. */
  replication?: Pick<Replicator, 'status' | 'backfill' | 'forget'>;
}

/** Registries as resources: create, list, show, update, delete, set the default, probe. */
export class RegistryService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly registries: RegistryDirectory,
    private readonly distribution: Distribution,
    private readonly options: RegistryServiceOptions,
  ) {}

  view(row: RegistryRow): RegistryView {
    return registryView(row, this.options.locations, this.options.defaultLocation, this.options.proxyStats);
  }

  async create(input: unknown, by: string | null): Promise<RegistryView> {
    const def = parseRegistryDefinition(input);
    const key = registryKey(def.name);
    checkNamespace(def.namespace);
    const primary = def.backend ? ownLocation(key) : (def.primaryLocation ?? DEFAULT_LOCATION);
    if (!def.backend) checkKnownLocation(this.options.locations, primary, 'primary_location');
    for (const l of def.additionalLocations) checkKnownLocation(this.options.locations, l, 'locations');
    if (def.backend?.s3)
      await checkDataCredential(this.options.credentials, def.namespace, def.backend.s3.credential);
    if (def.backend?.filesystem)
      await checkFilesystemRoot(this.db, this.options.filesystemRoots, def.backend.filesystem.rootdirectory);
    if (def.proxy?.credential)
      await checkProxyCredential(
        this.options.credentials,
        def.namespace,
        def.proxy.credential,
        def.proxy.url,
      );
    const existing = await store.getRegistry(this.db, key);
    if (existing) {
      throw new AppError(
        'REGISTRY_EXISTS',
        `a registry named '${existing.name}' exists (names are unique regardless of case)`,
      );
    }
    const taken = await this.distribution.repositoriesUnder(key, 3);
    if (taken.length > 0) {
      throw new AppError(
        'REGISTRY_EXISTS',
        `'${key}' is already the first path segment of repositories in the default registry (${taken.join(', ')}): a registry of that name would take them over; choose another name`,
      );
    }
    const now = Date.now();
    const created = await this.db.transaction().execute(async (tx) => {
      const inserted = await store.insertRegistry(tx, {
        name: def.name,
        name_key: key,
        namespace: def.namespace,
        description: def.description,
        tags: JSON.stringify(def.tags),
        primary_location: primary,
        locations: JSON.stringify(def.additionalLocations),
        backend: def.backend ? JSON.stringify(def.backend) : null,
        anonymous_pull: def.anonymousPull ? 1 : 0,
        proxy_url: def.proxy?.url ?? null,
        proxy_credential: def.proxy?.credential ?? null,
        proxy_ttl: def.proxy?.ttl ?? null,
        is_default: 0,
        state: 'Pending',
        state_reason: null,
        probed_at: null,
        created_at: now,
        updated_at: now,
        created_by: by,
      });
      if (inserted && def.makeDefault) await store.setDefault(tx, def.namespace, key, now);
      return inserted;
    });
    if (!created) {
      const existing = await store.getRegistry(this.db, key);
      throw new AppError(
        'REGISTRY_EXISTS',
        `a registry named '${existing?.name ?? def.name}' exists (names are unique regardless of case)`,
      );
    }
    await this.registries.refresh();
    // A failure here shows in the probe that follows (state Error, with the reason).
    await this.options.prepare?.(await this.row(key)).catch(() => undefined);
    return this.afterChange(key);
  }

  private async row(name: string): Promise<RegistryRow> {
    const row = await store.getRegistry(this.db, name.toLowerCase());
    if (!row) throw new AppError('REGISTRY_UNKNOWN', `no registry named '${name.slice(0, 64)}'`);
    return row;
  }

  /** A registry, with each of its locations' replication status (what it holds, owes, how late). */
  async get(name: string): Promise<RegistryView> {
    const row = await this.row(name);
    const view = this.view(row);
    const replication = this.options.replication;
    if (!replication || row.backend !== null) return view;
    const additional = JSON.parse(row.locations) as string[];
    return { ...view, replication: await replication.status(row.name_key, row.primary_location, additional) };
  }

  async list(namespace?: string): Promise<RegistryView[]> {
    return (await store.listRegistries(this.db, namespace)).map((r) => this.view(r));
  }

  async update(name: string, input: unknown): Promise<RegistryView> {
    const row = await this.row(name);
    const update = parseRegistryUpdate(input);
    const set: Parameters<typeof store.updateRegistry>[2] = { updated_at: Date.now() };
    if (update.description !== undefined) set.description = update.description;
    if (update.tags !== undefined) set.tags = JSON.stringify(update.tags);
    if (update.anonymous_pull !== undefined) set.anonymous_pull = update.anonymous_pull ? 1 : 0;
    if (update.locations !== undefined) {
      if (row.backend !== null && update.locations.length > 0) {
        throw new AppError(
          'REGISTRY_INVALID',
          'locations: a registry with its own backend has no additional locations',
        );
      }
      for (const l of update.locations) checkKnownLocation(this.options.locations, l, 'locations');
      set.locations = JSON.stringify(
        [...new Set(update.locations)].filter((l) => l !== row.primary_location),
      );
    }
    if (update.backend) {
      const backend = row.backend === null ? undefined : (JSON.parse(row.backend) as RegistryBackend);
      if (!backend?.s3)
        throw new AppError('REGISTRY_INVALID', 'backend: only an S3 backend has a credential to change');
      await checkDataCredential(this.options.credentials, row.namespace, update.backend.s3.credential);
      set.backend = JSON.stringify({ s3: { ...backend.s3, credential: update.backend.s3.credential } });
    }
    if (update.proxy) Object.assign(set, await proxyUpdate(this.options.credentials, row, update.proxy));
    const before = JSON.parse(row.locations) as string[];
    const after = set.locations === undefined ? before : (JSON.parse(set.locations) as string[]);
    await this.db.transaction().execute(async (tx) => {
      await store.updateRegistry(tx, row.name_key, set);
      // An added location is owed every blob already there; a removed one is copied to no more.
      const replication = this.options.replication;
      const removed = before.filter((l) => !after.includes(l));
      await replication?.forget(tx, row.name_key, removed);
      const added = after.filter((l) => !before.includes(l));
      if (added.length > 0) await replication?.backfill(tx, row.name_key, row.primary_location, added);
    });
    return this.afterChange(row.name_key);
  }

  /** Make a registry the default of its namespace; the previous default stops being it, atomically. */
  async setDefault(name: string): Promise<RegistryView> {
    const row = await this.row(name);
    await this.db
      .transaction()
      .execute((tx) => store.setDefault(tx, row.namespace, row.name_key, Date.now()));
    return this.afterChange(row.name_key);
  }

  /**
   * Delete a registry. One that still holds repositories is refused unless `force`; then its
   * repositories go with it, and the bytes in a backend of its own are removed.
   */
  async delete(name: string, force: boolean): Promise<{ deleted: string; repositories: number }> {
    const row = await this.row(name);
    const repositories = await this.distribution.repositoriesUnder(row.name_key, 1_000_000);
    const assets = (await this.options.assets?.countIn(row.name_key)) ?? 0;
    if (assets > 0 && !force) {
      throw new AppError(
        'REGISTRY_NOT_EMPTY',
        `registry '${row.name}' holds ${assets} assets (models, datasets, environments, components) that may be in use: delete them first, or delete the registry with force`,
      );
    }
    if (repositories.length > 0 && !force) {
      const some = repositories.slice(0, 3).join(', ');
      throw new AppError(
        'REGISTRY_NOT_EMPTY',
        `registry '${row.name}' holds ${repositories.length} repositories (${some}${repositories.length > 3 ? ', …' : ''}): delete them first, or delete the registry with force`,
      );
    }
    await this.distribution.deleteRepositories(repositories);
    await this.options.assets?.removeRegistry(row.name_key);
    await this.options.forget?.(row.name_key);
    await this.options.replication?.forget(this.db, row.name_key);
    if (row.backend !== null) await this.removeOwnBytes(row);
    await store.deleteRegistry(this.db, row.name_key);
    await this.registries.refresh();
    await this.options.changed();
    return { deleted: row.name, repositories: repositories.length };
  }

  /** The blobs a registry's own backend holds, deleted there and forgotten. */
  private async removeOwnBytes(row: RegistryRow): Promise<void> {
    const location = ownLocation(row.name_key);
    const driver = this.registries.driverOf(location);
    const digests = await this.distribution.blobsIn(location);
    if (driver) {
      for (const digest of digests) await driver.delete(blobPath(digest));
    }
    await this.distribution.forgetLocation(location);
  }

  /** The registries whose own S3 backend names a credential (names are unique regardless of case). */
  private async usingCredential(namespace: string, name: string): Promise<RegistryRow[]> {
    const rows = await store.listRegistries(this.db, namespace);
    return rows.filter((row) => {
      const s3 = row.backend === null ? undefined : (JSON.parse(row.backend) as RegistryBackend).s3;
      const proxy = row.proxy_credential?.toLowerCase() === name.toLowerCase();
      return proxy || s3?.credential.toLowerCase() === name.toLowerCase();
    });
  }

  /**
   * Registries as users of credentials: a credential a backend names is not deleted unless forced;
   * after a forced delete or a replacement those registries are probed at once (the directory
   * rebuilds their drivers: the credential's version changed), so a registry whose credential is
   * gone or refused shows `Error` with the reason instead of `Active`.
   */
  credentialUser(): CredentialUser {
    return {
      usersOf: async (namespace, name) =>
        (await this.usingCredential(namespace, name)).map((r) => `registry '${r.name}'`),
      changed: async (namespace, name) => {
        const rows = await this.usingCredential(namespace, name);
        if (rows.length === 0) return;
        await this.registries.refresh();
        for (const row of rows) await this.record(row);
        await this.registries.refresh();
        await this.options.changed();
      },
    };
  }

  /** Probe a registry's locations now and record the outcome. */
  async probe(name: string): Promise<RegistryView> {
    const row = await this.row(name);
    await this.record(row);
    await this.registries.refresh();
    return this.get(row.name_key);
  }

  /** Probe every registry (the background round). */
  async probeAll(): Promise<void> {
    for (const row of await store.listRegistries(this.db)) await this.record(row);
    await this.registries.refresh();
  }

  private async record(row: RegistryRow): Promise<void> {
    const { state, reason } = await this.options.probe(row);
    await store.updateRegistry(this.db, row.name_key, { state, state_reason: reason, probed_at: Date.now() });
  }

  private async afterChange(key: string): Promise<RegistryView> {
    await this.registries.refresh();
    const row = await this.row(key);
    await this.record(row);
    await this.registries.refresh();
    await this.options.changed();
    return this.get(key);
  }
}
