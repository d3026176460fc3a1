import type { Insertable, Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { randomBytes } from 'node:crypto';
import { RefusalSampler } from './audit-sampler.js';
import type { AccessAuditTable } from './tables.js';
import { deleteAuditBefore, insertAuditRows, queryAudit, type AuditFilter } from './store/audit.js';
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
/** Refusals of one kind from one source are written once per window, then as one count. */
const defaultSampleWindowMs = 60_000;
/** Longest text of a field (names, paths and messages come from callers); detail as JSON. */
const maxFieldChars = 300;
const maxDetailChars = 1_000;

function clip(text: string, max: number): string;
function clip(text: string | null | undefined, max: number): string | null;
function clip(text: string | null | undefined, max: number): string | null {
  if (text === null || text === undefined) return null;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function detailJson(detail: Record<string, unknown> | undefined): string | null {
  if (!detail) return null;
  const json = JSON.stringify(detail);
  return json.length <= maxDetailChars
    ? json
    : JSON.stringify({ truncated: json.slice(0, maxDetailChars - 20) });
}

/**
 * The audit log. Events are queued and written in batches shortly after (one insert for many
 * requests, so auditing every push costs little); `flush()` before reading and at shutdown.
 * A crash can lose the last ~200 ms of events. Refusals and failures pass a `RefusalSampler` (a
 * flood of them costs a row or two per source and window), and every field is clipped, so no
 * caller can grow the log by more than a bounded amount; `prune` removes rows by age.
 */
export class AuditLog {
  private queue: Insertable<AccessAuditTable>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private windowTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private sequence = 0;
  private readonly process = randomBytes(3).toString('hex');
  private dropped = 0;
  private readonly sampler: RefusalSampler;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: AuditLogger,
    sampleWindowMs = defaultSampleWindowMs,
  ) {
    this.sampler = new RefusalSampler(sampleWindowMs);
  }

  record(event: AuditEvent): void {
    if (event.outcome !== 'success') {
      if (this.sampler.windowOver) this.drainSampler();
      if (!this.sampler.admit(event)) {
        // The count is written when the window ends, even if nothing else happens by then.
        this.windowTimer ??= setTimeout(() => {
          this.windowTimer = undefined;
          this.drainSampler();
        }, this.sampler.windowMs).unref();
        return;
      }
    }
    this.enqueue(event);
  }

  private drainSampler(): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    for (const summary of this.sampler.drain()) this.enqueue(summary);
  }

  private enqueue(event: AuditEvent): void {
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
      actor: clip(event.actor, maxFieldChars),
      actor_kind: event.actorKind,
      action: clip(event.action, maxFieldChars),
      resource: clip(event.resource, maxFieldChars),
      method: clip(event.method, 16),
      path: clip(event.path, maxFieldChars),
      outcome: event.outcome,
      status: event.status ?? null,
      remote: clip(event.remote, 64),
      request_id: clip(event.requestId, 64),
      detail: detailJson(event.detail),
    });
    this.timer ??= setTimeout(() => void this.write(), flushDelayMs);
  }

  /** Write everything queued so far, with the counts of refusals sampled so far. */
  flush(): Promise<void> {
    this.drainSampler();
    return this.write();
  }

  private write(): Promise<void> {
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

  /** Remove events older than `before` (epoch ms); the number removed. */
  prune(before: number): Promise<number> {
    return deleteAuditBefore(this.db, before);
  }

  /** Newest first; `next` is the cursor of the following (older) page, or null. */
  async query(filter: AuditFilter): Promise<{ items: AuditView[]; next: string | null }> {
    await this.flush();
    const rows = await queryAudit(this.db, { ...filter, limit: filter.limit + 1 });
    const page = rows.slice(0, filter.limit);
    return { items: page.map(auditView), next: rows.length > filter.limit ? page.at(-1)!.id : null };
  }
}
