import type { Insertable, Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { randomBytes } from 'node:crypto';
import type { AccessAuditTable } from './tables.js';
import { insertAuditRows, queryAudit, type AuditFilter } from './store/audit.js';
import { auditView, type AuditView } from './views.js';

/** One audited event: who, what, where, when (set here) and the outcome. Never a secret. */
export interface AuditEvent {
  actor: string | null;
  actorKind: string | null;
  action: string;
  resource?: string | null;
  method?: string | null;
  path?: string | null;
  outcome: 'success' | 'failure' | 'denied' | 'unauthorized' | 'throttled';
  status?: number | null;
  remote?: string | null;
  requestId?: string | null;
  detail?: Record<string, unknown>;
}

interface AuditLogger {
  error(obj: object, msg: string): void;
}

/** How long events wait to be written together; `flush()` writes at once. */
const flushDelayMs = 200;
const maxQueued = 50_000;

/**
 * The audit log. Events are queued and written in batches shortly after (one insert for many
 * requests, so auditing every push costs little); `flush()` before reading and at shutdown.
 * A crash can lose the last ~200 ms of events.
 */
export class AuditLog {
  private queue: Insertable<AccessAuditTable>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private sequence = 0;
  private readonly process = randomBytes(3).toString('hex');
  private dropped = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: AuditLogger,
  ) {}

  record(event: AuditEvent): void {
    if (this.queue.length >= maxQueued) {
      this.dropped += 1;
      return;
    }
    const at = Date.now();
    this.sequence = (this.sequence + 1) % 1_000_000;
    this.queue.push({
      // Sortable by time; the sequence orders events of one millisecond, the process part keeps replicas apart.
      id: `${String(at).padStart(13, '0')}-${String(this.sequence).padStart(6, '0')}-${this.process}`,
      at,
      actor: event.actor,
      actor_kind: event.actorKind,
      action: event.action,
      resource: event.resource ?? null,
      method: event.method ?? null,
      path: event.path ?? null,
      outcome: event.outcome,
      status: event.status ?? null,
      remote: event.remote ?? null,
      request_id: event.requestId ?? null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    });
    this.timer ??= setTimeout(() => void this.flush(), flushDelayMs);
  }

  /** Write everything queued so far. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    const dropped = this.dropped;
    this.dropped = 0;
    this.writing = this.writing.then(async () => {
      if (dropped > 0) this.log.error({ dropped }, 'audit: events dropped, the database did not keep up');
      if (batch.length === 0) return;
      try {
        await insertAuditRows(this.db, batch);
      } catch (err) {
        this.log.error({ err, events: batch.length }, 'audit: writing events failed');
      }
    });
    return this.writing;
  }

  /** Newest first; `next` is the cursor of the following (older) page, or null. */
  async query(filter: AuditFilter): Promise<{ items: AuditView[]; next: string | null }> {
    await this.flush();
    const rows = await queryAudit(this.db, { ...filter, limit: filter.limit + 1 });
    const page = rows.slice(0, filter.limit);
    return { items: page.map(auditView), next: rows.length > filter.limit ? page.at(-1)!.id : null };
  }
}
