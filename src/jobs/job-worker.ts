import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { backoffDelay, type Backoff } from './backoff.js';
import { JobFailed, RetryLater, type JobHandlers } from './job-handlers.js';
import type { JobQueue } from './job-queue.js';
import * as store from './store.js';

export interface WorkerSettings {
  /** Jobs run at once by this process. */
  concurrency: number;
  /** Between claims when there was nothing to do. */
  pollInterval: number;
  /** How long a claim holds a job; renewed while the handler runs, so only a dead worker loses it. */
  lease: number;
  backoff: Backoff;
  /** Done jobs are removed after this long. */
  retention: number;
}

/**
 * One claiming loop per process (on SQLite the one writer serializes claims; on PostgreSQL any
 * number of processes claim with SKIP LOCKED). Each claimed job runs its kind's handler under a
 * lease that is renewed while it runs; a process killed mid-job leaves a lease that expires, and
 * the job is claimed again. A failure retries after an exponential backoff until `max_attempts`.
 */
export class JobWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, { done: Promise<void>; abort: AbortController }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private again = false;
  private stopped = true;
  private unsubscribe: (() => void) | undefined;
  private lastPrune = 0;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: JobHandlers,
    private readonly settings: WorkerSettings,
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.queue.onWake(() => this.schedule(0));
    this.schedule(0);
  }

  /** Stop claiming, abort the jobs in hand (they are released to run again) and wait for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    for (const { abort } of this.running.values()) abort.abort(new Error('the server is stopping'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    this.again = false;
    let full = false;
    try {
      const free = this.settings.concurrency - this.running.size;
      if (free > 0) {
        const now = Date.now();
        const db = this.queue.meta.db;
        await store.failExhaustedLeases(db, now);
        const claimed = await store.claimJobs(db, this.queue.meta.dialect, {
          owner: this.owner,
          kinds: this.handlers.kinds,
          now,
          leaseUntil: now + this.settings.lease,
          limit: free,
        });
        for (const job of claimed) this.run(job);
        full = claimed.length === free;
        if (now - this.lastPrune > 60_000) {
          this.lastPrune = now;
          await store.pruneDoneJobs(db, now - this.settings.retention);
        }
      }
    } catch (err) {
      if (!this.stopped) this.log.error({ err }, 'jobs: claiming failed');
    } finally {
      this.ticking = false;
    }
    // More may be waiting when the claim was full; otherwise poll (or a wake comes first).
    const busy = this.running.size >= this.settings.concurrency;
    this.schedule(this.again || (full && !busy) ? 0 : this.settings.pollInterval);
  }

  private run(row: store.JobRow): void {
    const abort = new AbortController();
    const done = this.execute(row, abort).finally(() => {
      this.running.delete(row.id);
      this.schedule(0);
    });
    this.running.set(row.id, { done, abort });
  }

  private async execute(row: store.JobRow, abort: AbortController): Promise<void> {
    const db = this.queue.meta.db;
    const handler = this.handlers.get(row.kind)!;
    const attempt = Number(row.attempts);
    const maxAttempts = Number(row.max_attempts);
    const renew = setInterval(
      () => {
        store
          .renewLease(db, row.id, this.owner, Date.now() + this.settings.lease)
          .then((held) => {
            if (!held) abort.abort(new Error('the lease was lost'));
          })
          .catch((err: unknown) => this.log.warn({ err, job: row.id }, 'jobs: lease renewal failed'));
      },
      Math.max(50, Math.floor(this.settings.lease / 3)),
    );
    renew.unref();
    try {
      let payload: unknown;
      try {
        payload = JSON.parse(row.payload);
      } catch {
        throw new JobFailed('the payload is not JSON');
      }
      await handler({ id: row.id, kind: row.kind, payload, attempt, maxAttempts }, abort.signal);
      clearInterval(renew);
      await store.finishJob(db, row.id, this.owner, { state: 'done', now: Date.now() });
    } catch (err) {
      clearInterval(renew);
      await this.failed(row, attempt, maxAttempts, err, abort.signal.aborted && this.stopped);
    }
  }

  private async failed(
    row: store.JobRow,
    attempt: number,
    maxAttempts: number,
    err: unknown,
    stopping: boolean,
  ): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const now = Date.now();
    const db = this.queue.meta.db;
    try {
      if (stopping) {
        // Not the job's fault: released to run at once, elsewhere or after the restart.
        await store.finishJob(db, row.id, this.owner, { state: 'queued', runAt: now, now, error: message });
        return;
      }
      const final = err instanceof JobFailed || attempt >= maxAttempts;
      const delay = err instanceof RetryLater ? err.delayMs : backoffDelay(this.settings.backoff, attempt);
      await store.finishJob(db, row.id, this.owner, {
        state: final ? 'failed' : 'queued',
        runAt: final ? undefined : now + delay,
        error: message,
        now,
      });
      const fields = { job: row.id, kind: row.kind, attempt, error: message };
      if (final) this.log.error(fields, 'jobs: failed for good');
      else this.log.warn({ ...fields, retryInMs: delay }, 'jobs: failed; will retry');
    } catch (storeErr) {
      // The lease expires and the job is claimed again.
      this.log.error({ err: storeErr, job: row.id }, 'jobs: could not record the outcome');
    }
  }
}
