import type { Kysely } from 'kysely';
import type { Database, Dialect, MetadataDb } from '../db/index.js';
import { AppError } from '../errors/index.js';
import { Outbound } from '../net/index.js';
import { normalizeEntry, type CatalogEntry } from './entry.js';
import { jsonEquals } from './json.js';
import type { Query } from './query.js';
import { defaultFilterLimits, type FilterLimits } from './filter.js';
import { defaultScanLimits, type ScanLimits } from './budget.js';
import { runQuery, type QueryPage } from './run-query.js';
import { applyUpdate, parseUpdate, touchedFields } from './update.js';
import { noCredentials, type CatalogCredentials } from './credentials.js';
import { checkCredentialUse, credentialNamed, type CredentialUseCheck } from './credential-use.js';
import { retryConcurrent } from './retry-concurrent.js';
import { OwnRegistrySync } from './own-registry-sync.js';
import type { OwnRegistry } from './own-registry.js';
import { HealthChecks } from './health/health-checks.js';
import type { HealthRecord } from './health/record.js';
import {
  deleteEntry,
  documentsContaining,
  getEntryRow,
  insertEntries,
  replaceTags,
  updateEntry,
  type EntryRow,
} from './store/entries.js';

export interface CatalogServiceOptions {
  /** catalog.healthcheck: how long a probe may take and how long history is kept (milliseconds). */
  healthcheck: { timeout: number; history: number };
  /** Where probes get a registry's credential (the seam to the credentials room). */
  credentials?: CatalogCredentials;
  /** Extra CA certificates probes trust (private CAs, tests). */
  ca?: string | Buffer;
  /** catalog.query: how wide a filter and how long a scan may be. */
  limits?: Partial<QueryLimits>;
  /** The server's outbound requests (destination policy, timeouts); default: the defaults. */
  outbound?: Outbound;
  now?: () => number;
}

/** What one query may cost (config `catalog.query`). */
export type QueryLimits = FilterLimits & ScanLimits;

/** Fields users may curate on Arca's own entries; the rest follows the registry. */
const curatedFields = new Set(['container_registry_metadata', 'container_registry_tags']);

/**
 * The container-registry catalog: entries with the AIOS schema, MongoDB-style queries and updates,
 * health checks, and Arca's own registries kept in sync.
 */
export class CatalogService {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  private readonly now: () => number;
  /** How wide a filter (parse with these) and how long a scan may be. */
  readonly limits: QueryLimits;
  private readonly health: HealthChecks;
  private readonly own: OwnRegistrySync;

  constructor(meta: Pick<MetadataDb, 'db' | 'dialect'>, options: CatalogServiceOptions) {
    this.db = meta.db;
    this.dialect = meta.dialect;
    this.now = options.now ?? Date.now;
    this.limits = { ...defaultFilterLimits, ...defaultScanLimits, ...options.limits };
    this.health = new HealthChecks(this.db, {
      ...options.healthcheck,
      credentials: options.credentials ?? noCredentials,
      ca: options.ca,
      outbound: options.outbound ?? new Outbound(),
      now: this.now,
    });
    this.own = new OwnRegistrySync(this.db, this.now);
  }

  /** Onboard an entry (a missing id gets a UUID). 409 when the id exists. */
  async create(input: unknown, mayUse?: CredentialUseCheck): Promise<CatalogEntry> {
    const entry = normalizeEntry(input);
    await checkCredentialUse(entry, undefined, mayUse);
    const existing = await this.db
      .transaction()
      .execute((tx) => insertEntries(tx, [entry], 'user', this.now()));
    if (existing.length > 0) throw exists(entry.container_registry_id);
    return entry;
  }

  /** Onboard many entries in one transaction: all or none. */
  async createMany(inputs: unknown[], mayUse?: CredentialUseCheck): Promise<CatalogEntry[]> {
    const entries = inputs.map((input, i) => {
      try {
        return normalizeEntry(input);
      } catch (err) {
        throw new AppError('CATALOG_REQUEST_INVALID', `entries.${i}: ${(err as Error).message}`);
      }
    });
    for (const entry of entries) await checkCredentialUse(entry, undefined, mayUse);
    const seen = new Set<string>();
    for (const e of entries) {
      if (seen.has(e.container_registry_id)) throw exists(e.container_registry_id);
      seen.add(e.container_registry_id);
    }
    await this.db.transaction().execute(async (tx) => {
      const existing = await insertEntries(tx, entries, 'user', this.now());
      if (existing.length > 0) throw exists(existing[0]!);
    });
    return entries;
  }

  async get(id: string): Promise<CatalogEntry> {
    return JSON.parse((await this.row(id)).document) as CatalogEntry;
  }

  /**
   * Apply update operators (`$set`, `$unset`, `$push`, `$pull`, `$addToSet`, `$inc`) or plain fields.
   * Concurrent updates of one entry each apply in full (optimistic, retried).
   */
  async update(id: string, input: unknown, mayUse?: CredentialUseCheck): Promise<CatalogEntry> {
    const update = parseUpdate(input, this.limits);
    return retryConcurrent(async () => {
      // Checked before the transaction (the check reads the database; SQLite has one connection),
      // and the transaction applies the update only if the credential it names is the one checked.
      const current = await this.get(id);
      const allowed = await checkCredentialUse(normalizeEntry(applyUpdate(current, update)), current, mayUse);
      return this.db.transaction().execute(async (tx) => {
        // PostgreSQL: the row lock serializes writers. SQLite: the one connection already does;
        // the version check covers other processes on the same file.
        const row = await getEntryRow(tx, id, this.dialect === 'postgres');
        if (!row) throw unknown(id);
        if (row.source === 'arca') {
          const fixed = [...touchedFields(update)].filter((f) => !curatedFields.has(f));
          if (fixed.length > 0) {
            throw managed(
              id,
              `only container_registry_metadata and container_registry_tags can change (not ${fixed.join(', ')})`,
            );
          }
        }
        const before = JSON.parse(row.document) as CatalogEntry;
        const after = normalizeEntry(applyUpdate(before, update));
        if (jsonEquals(before, after)) return after;
        const named = credentialNamed(after);
        if (mayUse && named !== undefined && named !== credentialNamed(before) && named !== allowed)
          return undefined;
        if (!(await updateEntry(tx, after, row.version, this.now()))) return undefined;
        if (!jsonEquals(before.container_registry_tags, after.container_registry_tags)) {
          await replaceTags(tx, id, after.container_registry_tags);
        }
        return after;
      });
    }, `container registry ${id} is being updated concurrently; retry`);
  }

  async delete(id: string): Promise<void> {
    const row = await this.row(id);
    if (row.source === 'arca') throw managed(id, 'it is removed when its registry is');
    await this.db.transaction().execute((tx) => deleteEntry(tx, id));
  }

  /** Run a query (see `runQuery`), within the budget of `limits`. */
  query(query: Query): Promise<QueryPage> {
    return runQuery({ db: this.db, dialect: this.dialect }, this.limits, query);
  }

  /**
   * Ids of the entries whose `container_registry_config.credential` names `name` (in any case, as
   * the health checks look it up), so that credential is not deleted from under them.
   */
  async entriesNamingCredential(name: string): Promise<string[]> {
    const rows = await documentsContaining(this.db, name);
    return rows
      .filter((row) => credentialNamed(JSON.parse(row.document) as CatalogEntry) === name.toLowerCase())
      .map((row) => row.id);
  }

  /** Probe an entry's registry now, record the result in its history and return it. */
  async checkHealth(id: string, signal?: AbortSignal): Promise<HealthRecord> {
    return this.health.check(await this.get(id), signal);
  }

  /** Probe and record one entry (the periodic runner's unit of work). */
  check(entry: CatalogEntry, signal?: AbortSignal): Promise<HealthRecord> {
    return this.health.check(entry, signal);
  }

  /** An entry's recorded checks, newest first. */
  async healthHistory(id: string, limit = 20): Promise<HealthRecord[]> {
    await this.row(id);
    return this.health.history(id, limit);
  }

  /** Entries not checked since `since`, in id order after `after`. */
  entriesDue(since: number, after: string | undefined, limit: number): Promise<CatalogEntry[]> {
    return this.health.due(since, after, limit);
  }

  /** Drop checks older than the history window. */
  pruneHealth(): Promise<number> {
    return this.health.prune();
  }

  /**
   * Create or refresh the entry of one of Arca's own registries (`registry_type: aios`). The registries
   * room calls this whenever a registry is created or changed.
   */
  syncOwnRegistry(registry: OwnRegistry): Promise<CatalogEntry> {
    return this.own.sync(registry);
  }

  /** Remove the entry of one of Arca's own registries (the registries room calls this on delete). */
  removeOwnRegistry(name: string): Promise<boolean> {
    return this.own.remove(name);
  }

  /** Make the own entries exactly `registries`: sync each, remove the entries of registries gone. */
  reconcileOwnRegistries(registries: OwnRegistry[]): Promise<void> {
    return this.own.reconcile(registries);
  }

  private async row(id: string): Promise<EntryRow> {
    const row = await getEntryRow(this.db, id);
    if (!row) throw unknown(id);
    return row;
  }
}

function unknown(id: string): AppError {
  return new AppError('CATALOG_ENTRY_UNKNOWN', `container registry ${id} not found`);
}

function exists(id: string): AppError {
  return new AppError('CATALOG_ENTRY_EXISTS', `container registry ${id} already exists`);
}

function managed(id: string, why: string): AppError {
  return new AppError(
    'CATALOG_ENTRY_MANAGED',
    `container registry ${id} is one of Arca's own registries: ${why}`,
  );
}
