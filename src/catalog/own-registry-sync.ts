import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { normalizeEntry, type CatalogEntry } from './entry.js';
import { jsonEquals } from './json.js';
import { ownRegistryEntry, ownRegistryId, type OwnRegistry } from './own-registry.js';
import { retryConcurrent } from './retry-concurrent.js';
import { deleteEntry, getEntryRow, idsBySource, insertEntries, updateEntry } from './store/entries.js';

/** Keeps the entries of Arca's own registries (`registry_type: aios`, source `arca`) in step with them. */
export class OwnRegistrySync {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
  ) {}

  /** Create or refresh the entry of one registry. */
  sync(registry: OwnRegistry): Promise<CatalogEntry> {
    const id = ownRegistryId(registry.name);
    return retryConcurrent(async () => {
      const row = await getEntryRow(this.db, id);
      if (!row) {
        const entry = normalizeEntry(ownRegistryEntry(registry));
        const existing = await this.db
          .transaction()
          .execute((tx) => insertEntries(tx, [entry], 'arca', this.now()));
        return existing.length === 0 ? entry : undefined;
      }
      const before = JSON.parse(row.document) as CatalogEntry;
      const after = normalizeEntry(ownRegistryEntry(registry, before));
      if (jsonEquals(before, after)) return after;
      return (await updateEntry(this.db, after, row.version, this.now())) ? after : undefined;
    }, `catalog entry of registry ${registry.name} is being updated concurrently`);
  }

  /** Remove the entry of one registry; false when there is none. */
  async remove(name: string): Promise<boolean> {
    const id = ownRegistryId(name);
    const row = await getEntryRow(this.db, id);
    if (!row || row.source !== 'arca') return false;
    return this.db.transaction().execute((tx) => deleteEntry(tx, id));
  }

  /** Make the own entries exactly `registries`: sync each, remove the entries of registries gone. */
  async reconcile(registries: OwnRegistry[]): Promise<void> {
    const keep = new Set<string>();
    for (const registry of registries) keep.add((await this.sync(registry)).container_registry_id);
    for (const id of await idsBySource(this.db, 'arca')) {
      if (!keep.has(id)) await this.db.transaction().execute((tx) => deleteEntry(tx, id));
    }
  }
}
