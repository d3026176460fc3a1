import type { Kysely, RawBuilder, SqlBool } from 'kysely';
import type { Database, Dialect, MetadataDb } from '../db/index.js';
import { AppError } from '../errors/index.js';
import { normalizeEntry, type CatalogEntry } from './entry.js';
import { jsonEquals, type JsonObject } from './json.js';
import { matches } from './matcher.js';
import { project, sortDocuments, type Query } from './query.js';
import { defaultFilterLimits, type Filter, type FilterLimits } from './filter.js';
import { defaultScanLimits, QueryBudget, type ScanLimits } from './budget.js';
import { compileFilter, scalarColumns, tagSetKey, tagSets, type CompileOptions } from './sql-filter.js';
import { applyUpdate, parseUpdate, touchedFields } from './update.js';
import { noCredentials, type CatalogCredentials } from './credentials.js';
import { ownRegistryEntry, ownRegistryId, type OwnRegistry } from './own-registry.js';
import { probeRegistry } from './health/probe.js';
import { Outbound } from '../net/index.js';
import type { HealthRecord } from './health/record.js';
import {
  countTagRows,
  deleteEntry,
  documentsContaining,
  getEntryRow,
  idsBySource,
  insertEntries,
  replaceTags,
  selectDocuments,
  updateEntry,
  type EntryRow,
  type OrderColumn,
} from './store/entries.js';
import { entriesDue, healthChecksOf, insertHealthCheck, pruneHealthChecks } from './store/health.js';

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

/**
 * Whether the actor writing an entry may have health checks present the credential it names
 * (`container_registry_config.credential`); throws (DENIED) when not. Absent: no check (tests,
 * servers without access control).
 */
export type CredentialUseCheck = (name: string) => Promise<void>;

/** One page of a query; `more` when entries follow it. */
export interface QueryPage {
  items: JsonObject[];
  more: boolean;
}

/** Fields users may curate on Arca's own entries; the rest follows the registry. */
const curatedFields = new Set(['container_registry_metadata', 'container_registry_tags']);
const maxAttempts = 5;
/** Below this many tag rows, a tag set is rare enough to drive a SQLite query. */
const rareTagRows = 2000;
/** Tag sets whose rarity is asked per query; the rest are probed per row, which is never wrong. */
const maxRareTagProbes = 32;
/** Rows read per page of a scan at most: one SQLite read holds the event loop while it runs. */
const maxBatch = 4096;

/**
 * The container-registry catalog: entries with the AIOS schema, MongoDB-style queries and updates,
 * health checks, and Arca's own registries kept in sync.
 */
export class CatalogService {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  private readonly credentials: CatalogCredentials;
  private readonly now: () => number;
  /** How wide a filter (parse with these) and how long a scan may be. */
  readonly limits: QueryLimits;
  private readonly outbound: Outbound;

  constructor(
    meta: Pick<MetadataDb, 'db' | 'dialect'>,
    private readonly options: CatalogServiceOptions,
  ) {
    this.db = meta.db;
    this.dialect = meta.dialect;
    this.credentials = options.credentials ?? noCredentials;
    this.now = options.now ?? Date.now;
    this.limits = { ...defaultFilterLimits, ...defaultScanLimits, ...options.limits };
    this.outbound = options.outbound ?? new Outbound();
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
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      // Checked before the transaction (the check reads the database; SQLite has one connection),
      // and the transaction applies the update only if the credential it names is the one checked.
      const current = await this.get(id);
      const allowed = await checkCredentialUse(normalizeEntry(applyUpdate(current, update)), current, mayUse);
      const result = await this.db.transaction().execute(async (tx) => {
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
      if (result) return result;
    }
    throw new AppError('UNAVAILABLE', `container registry ${id} is being updated concurrently; retry`);
  }

  async delete(id: string): Promise<void> {
    const row = await this.row(id);
    if (row.source === 'arca') throw managed(id, 'it is removed when its registry is');
    await this.db.transaction().execute((tx) => deleteEntry(tx, id));
  }

  /**
   * Run a query. Filters on the indexed fields (id, name, tags, registry_type, storage_type, public_url,
   * image_prefix) are answered by SQL; the rest is matched here over the rows SQL narrowed down,
   * within the budget of `limits` (CATALOG_QUERY_TOO_EXPENSIVE beyond).
   */
  async query(query: Query): Promise<QueryPage> {
    const budget = new QueryBudget(this.limits);
    const { where, exact } = compileFilter(query.filter, await this.compileOptions(query, budget));
    const want = query.limit === 0 ? Infinity : query.limit;
    const order = sqlOrder(query);
    // An exact filter needs no matcher; in SQL order SQL also skips.
    const filter = exact ? undefined : query.filter;
    let docs: JsonObject[];
    if (order) {
      const sqlSkip = exact ? query.skip : 0;
      docs = await this.scan(where, order, filter, sqlSkip, query.skip - sqlSkip, want + 1, budget);
    } else {
      const matching = await this.scan(where, [], filter, 0, 0, Infinity, budget);
      docs = sortDocuments(matching, query.sort).slice(query.skip, query.skip + want + 1);
    }
    const more = docs.length > want;
    return { items: docs.slice(0, want).map((d) => project(d, query.projection)), more };
  }

  /**
   * Read candidates in SQL order from row `offset`, page by page, keep those `filter` matches (all
   * without one), drop the first `skip` of them and return once `enough` are kept or rows run out.
   * Every row counts against the budget, and the scan yields to other requests as it goes.
   */
  private async scan(
    where: RawBuilder<SqlBool>,
    order: OrderColumn[],
    filter: Filter | undefined,
    offset: number,
    skip: number,
    enough: number,
    budget: QueryBudget,
  ): Promise<JsonObject[]> {
    const out: JsonObject[] = [];
    let skipped = 0;
    // SQL narrows well for most filters: start with about as many rows as the page needs.
    let batch = Math.min(Math.max(skip + enough, 32), maxBatch);
    for (;;) {
      const rows = await selectDocuments(this.db, where, order, batch, offset);
      for (const row of rows) {
        if (budget.examine()) await budget.pause();
        const doc = JSON.parse(row.document) as JsonObject;
        if (filter && !matches(doc, filter)) continue;
        if (skipped < skip) skipped++;
        else out.push(doc);
        if (out.length >= enough) return out;
      }
      if (rows.length < batch) return out;
      offset += rows.length;
      batch = Math.min(batch * 4, maxBatch);
      await budget.pause();
    }
  }

  /**
   * SQLite has no statistics on how many entries a tag has; ask the tag index (a bounded count) so
   * rare tags drive the query and common ones are probed per row. A wide filter asks for a few only.
   */
  private async compileOptions(query: Query, budget: QueryBudget): Promise<CompileOptions> {
    if (this.dialect !== 'sqlite') return { dialect: this.dialect };
    const rareTags = new Set<string>();
    const keys = [...new Set(tagSets(query.filter).map(tagSetKey))].slice(0, maxRareTagProbes);
    for (const key of keys) {
      budget.check();
      const set = JSON.parse(key) as string[];
      if ((await countTagRows(this.db, set, rareTagRows)) < rareTagRows) rareTags.add(key);
    }
    return { dialect: this.dialect, rareTags };
  }

  /**
   * Ids of the entries whose `container_registry_config.credential` names `name` (in any case, as
   * the health checks look it up), so that credential is not deleted from under them.
   */
  async entriesNamingCredential(name: string): Promise<string[]> {
    const rows = await documentsContaining(this.db, name);
    return rows
      .filter((row) => {
        const entry = JSON.parse(row.document) as CatalogEntry;
        const named = (entry.container_registry_config as Record<string, unknown> | undefined)?.credential;
        return typeof named === 'string' && named.toLowerCase() === name.toLowerCase();
      })
      .map((row) => row.id);
  }

  /** Probe an entry's registry now, record the result in its history and return it. */
  async checkHealth(id: string, signal?: AbortSignal): Promise<HealthRecord> {
    return this.check(await this.get(id), signal);
  }

  /** Probe and record one entry (the periodic runner's unit of work). */
  async check(entry: CatalogEntry, signal?: AbortSignal): Promise<HealthRecord> {
    const credential = await this.credentials.forEntry(entry);
    const result = await probeRegistry(entry.container_registry_public_url, {
      outbound: this.outbound,
      timeoutMs: this.options.healthcheck.timeout,
      credential,
      signal,
      ca: this.options.ca,
    });
    const checkedAt = this.now();
    const record: HealthRecord = {
      container_registry_id: entry.container_registry_id,
      url: entry.container_registry_public_url,
      ...result,
      checked_at: new Date(checkedAt).toISOString(),
    };
    await insertHealthCheck(this.db, record, checkedAt);
    return record;
  }

  /** An entry's recorded checks, newest first. */
  async healthHistory(id: string, limit = 20): Promise<HealthRecord[]> {
    await this.row(id);
    return healthChecksOf(this.db, id, limit);
  }

  /** Entries not checked since `since`, in id order after `after`. */
  async entriesDue(since: number, after: string | undefined, limit: number): Promise<CatalogEntry[]> {
    const rows = await entriesDue(this.db, since, after, limit);
    return rows.map((r) => JSON.parse(r.document) as CatalogEntry);
  }

  /** Drop checks older than the history window. */
  pruneHealth(): Promise<number> {
    return pruneHealthChecks(this.db, this.now() - this.options.healthcheck.history);
  }

  /**
   * Create or refresh the entry of one of Arca's own registries (`registry_type: aios`). The registries
   * room calls this whenever a registry is created or changed.
   */
  async syncOwnRegistry(registry: OwnRegistry): Promise<CatalogEntry> {
    const id = ownRegistryId(registry.name);
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const row = await getEntryRow(this.db, id);
      if (!row) {
        const entry = normalizeEntry(ownRegistryEntry(registry));
        const existing = await this.db
          .transaction()
          .execute((tx) => insertEntries(tx, [entry], 'arca', this.now()));
        if (existing.length === 0) return entry;
        continue;
      }
      const before = JSON.parse(row.document) as CatalogEntry;
      const after = normalizeEntry(ownRegistryEntry(registry, before));
      if (jsonEquals(before, after)) return after;
      if (await updateEntry(this.db, after, row.version, this.now())) return after;
    }
    throw new AppError(
      'UNAVAILABLE',
      `catalog entry of registry ${registry.name} is being updated concurrently`,
    );
  }

  /** Remove the entry of one of Arca's own registries (the registries room calls this on delete). */
  async removeOwnRegistry(name: string): Promise<boolean> {
    const id = ownRegistryId(name);
    const row = await getEntryRow(this.db, id);
    if (!row || row.source !== 'arca') return false;
    return this.db.transaction().execute((tx) => deleteEntry(tx, id));
  }

  /** Make the own entries exactly `registries`: sync each, remove the entries of registries gone. */
  async reconcileOwnRegistries(registries: OwnRegistry[]): Promise<void> {
    const keep = new Set<string>();
    for (const registry of registries) keep.add((await this.syncOwnRegistry(registry)).container_registry_id);
    for (const id of await idsBySource(this.db, 'arca')) {
      if (!keep.has(id)) await this.db.transaction().execute((tx) => deleteEntry(tx, id));
    }
  }

  private async row(id: string): Promise<EntryRow> {
    const row = await getEntryRow(this.db, id);
    if (!row) throw unknown(id);
    return row;
  }
}

/** The SQL order for a query's sort, when every key is an indexed string column. */
function sqlOrder(query: Query): OrderColumn[] | undefined {
  const order: OrderColumn[] = [];
  for (const key of query.sort) {
    const column = scalarColumns[key.path.join('.')];
    if (column === undefined) return undefined;
    order.push({ column, direction: key.direction === 1 ? 'asc' : 'desc' });
  }
  return order;
}

/** The credential an entry's health checks present by name, if it names one. */
function credentialNamed(entry: CatalogEntry): string | undefined {
  const named = (entry.container_registry_config as Record<string, unknown> | undefined)?.credential;
  return typeof named === 'string' ? named.toLowerCase() : undefined;
}

/**
 * A credential newly named by an entry must be one its writer may use: otherwise anyone who may
 * write the catalog could have the server present any stored secret. Returns the name checked.
 */
async function checkCredentialUse(
  after: CatalogEntry,
  before: CatalogEntry | undefined,
  mayUse: CredentialUseCheck | undefined,
): Promise<string | undefined> {
  const named = credentialNamed(after);
  if (named === undefined || !mayUse || (before && credentialNamed(before) === named)) return undefined;
  await mayUse(named);
  return named;
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
