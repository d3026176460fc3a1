import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.js';
import type { Outbound } from '../../net/index.js';
import type { CatalogCredentials } from '../credentials.js';
import type { CatalogEntry } from '../entry.js';
import { probeRegistry } from './probe.js';
import type { HealthRecord } from './record.js';
import { entriesDue, healthChecksOf, insertHealthCheck, pruneHealthChecks } from '../store/health.js';

export interface HealthChecksOptions {
  /** How long a probe may take (milliseconds). */
  timeout: number;
  /** How long checks are kept (milliseconds). */
  history: number;
  /** Where probes get a registry's credential. */
  credentials: CatalogCredentials;
  /** Extra CA certificates probes trust (private CAs, tests). */
  ca?: string | Buffer;
  outbound: Outbound;
  now: () => number;
}

/** Probing entries' registries and the history of what the probes found. */
export class HealthChecks {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: HealthChecksOptions,
  ) {}

  /** Probe an entry's registry, record the result in its history and return it. */
  async check(entry: CatalogEntry, signal?: AbortSignal): Promise<HealthRecord> {
    const credential = await this.options.credentials.forEntry(entry);
    const result = await probeRegistry(entry.container_registry_public_url, {
      outbound: this.options.outbound,
      timeoutMs: this.options.timeout,
      credential,
      signal,
      ca: this.options.ca,
    });
    const checkedAt = this.options.now();
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
  history(id: string, limit: number): Promise<HealthRecord[]> {
    return healthChecksOf(this.db, id, limit);
  }

  /** Entries not checked since `since`, in id order after `after`. */
  async due(since: number, after: string | undefined, limit: number): Promise<CatalogEntry[]> {
    const rows = await entriesDue(this.db, since, after, limit);
    return rows.map((r) => JSON.parse(r.document) as CatalogEntry);
  }

  /** Drop checks older than the history window. */
  prune(): Promise<number> {
    return pruneHealthChecks(this.db, this.options.now() - this.options.history);
  }
}
