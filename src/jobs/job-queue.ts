import { randomUUID } from 'node:crypto';
import { AppError } from '../errors/index.js';
import type { Executor, MetadataDb } from '../db/index.js';
import { jobView, type JobView } from './job-view.js';
import * as store from './store.js';
import type { JobState } from './tables.js';

export interface EnqueueOptions {
  /** Not before this time (ms since the epoch); default now. */
  runAt?: number;
  /** Default: the queue's `maxAttempts`. */
  maxAttempts?: number;
}

const states: readonly JobState[] = ['queued', 'running', 'done', 'failed'];

/**
 * The job table's front: enqueue (inside the caller's transaction, so a job exists exactly when the
 * change that needs it does), list, show, retry, count. Workers claim through `JobWorker`.
 */
export class JobQueue {
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly meta: MetadataDb,
    readonly defaults: { maxAttempts: number },
  ) {}

  /**
   * Add a job through `db`: a handle, or the transaction that makes visible what the job works on
   * (then the job is there if and only if that commits). Workers of this process are woken soon after.
   */
  async enqueue(db: Executor, kind: string, payload: unknown, options: EnqueueOptions = {}): Promise<string> {
    const now = Date.now();
    const id = randomUUID();
    await store.insertJob(db, {
      id,
      kind,
      payload: JSON.stringify(payload ?? null),
      state: 'queued',
      attempts: 0,
      max_attempts: options.maxAttempts ?? this.defaults.maxAttempts,
      run_at: options.runAt ?? now,
      lease_owner: null,
      lease_until: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    });
    // After the caller's transaction has had time to commit; workers poll anyway.
    setTimeout(() => this.wake(), 5).unref();
    return id;
  }

  /** Tell this process's workers there may be new work. */
  wake(): void {
    for (const listener of this.listeners) listener();
  }

  /** Called on `wake` (a worker's poll); returns the unsubscribe. */
  onWake(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async get(id: string): Promise<JobView> {
    const row = await store.jobById(this.meta.db, id);
    if (!row) throw new AppError('NOT_FOUND', `no job '${id}'`);
    return jobView(row);
  }

  /** Newest first; `last` is the id of the previous page's last job. */
  async list(query: { state?: string; kind?: string; n?: number; last?: string }): Promise<JobView[]> {
    if (query.state !== undefined && !states.includes(query.state as JobState)) {
      throw new AppError('REQUEST_INVALID', `state must be one of ${states.join(', ')}`);
    }
    const limit = query.n ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new AppError('REQUEST_INVALID', 'n must be an integer from 1 to 1000');
    }
    let before: store.JobFilter['before'];
    if (query.last !== undefined) {
      const row = await store.jobById(this.meta.db, query.last);
      if (!row) throw new AppError('REQUEST_INVALID', `no job '${query.last}' to page after`);
      before = { created_at: Number(row.created_at), id: row.id };
    }
    const rows = await store.listJobs(this.meta.db, {
      state: query.state as JobState | undefined,
      kind: query.kind,
      limit,
      before,
    });
    return rows.map(jobView);
  }

  /** Run a failed (or done) job again, with its attempts reset. A queued or running one is a conflict. */
  async retry(id: string): Promise<JobView> {
    const requeued = await store.requeueJob(this.meta.db, id, Date.now());
    if (!requeued) {
      const job = await this.get(id);
      throw new AppError('CONFLICT', `job '${id}' is ${job.state}: only failed or done jobs are retried`);
    }
    this.wake();
    return this.get(id);
  }

  counts(): Promise<store.JobCounts> {
    return store.jobCounts(this.meta.db);
  }
}
