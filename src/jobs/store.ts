import type { Selectable } from 'kysely';
import type { Dialect, Executor } from '../db/index.js';
import type { JobState, JobsTable } from './tables.js';

export type JobRow = Selectable<JobsTable>;

/** Longest error text kept on a row: a handler's message, never a stack. */
const maxErrorLength = 2000;

export async function insertJob(db: Executor, row: JobRow): Promise<void> {
  await db.insertInto('jobs').values(row).execute();
}

export async function jobById(db: Executor, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Take up to `limit` jobs of `kinds` that are due (queued with `run_at` passed) or whose lease
 * expired (their worker died), marking them running under `owner` until `leaseUntil`. On
 * PostgreSQL the candidates are locked with SKIP LOCKED, so processes claiming at once each get
 * different rows; SQLite runs one writer at a time, so the UPDATE is atomic as it is.
 */
export async function claimJobs(
  db: Executor,
  dialect: Dialect,
  claim: { owner: string; kinds: readonly string[]; now: number; leaseUntil: number; limit: number },
): Promise<JobRow[]> {
  const { owner, kinds, now, leaseUntil, limit } = claim;
  if (kinds.length === 0 || limit <= 0) return [];
  let candidates = db
    .selectFrom('jobs')
    .select('id')
    .where('kind', 'in', kinds)
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'queued'), eb('run_at', '<=', now)]),
        eb.and([eb('state', '=', 'running'), eb('lease_until', '<', now)]),
      ]),
    )
    .orderBy('run_at')
    .limit(limit);
  if (dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
  return db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'running',
      lease_owner: owner,
      lease_until: leaseUntil,
      attempts: eb('attempts', '+', 1),
      updated_at: now,
    }))
    .where('id', 'in', candidates)
    .returningAll()
    .execute();
}

/** Hold a running job longer; false when the lease was lost (expired and claimed by another). */
export async function renewLease(
  db: Executor,
  id: string,
  owner: string,
  leaseUntil: number,
): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ lease_until: leaseUntil })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** End a running job held by `owner`: done, failed for good, or queued again at `runAt`. */
export async function finishJob(
  db: Executor,
  id: string,
  owner: string,
  outcome: { state: Exclude<JobState, 'running'>; error?: string; runAt?: number; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({
      state: outcome.state,
      lease_owner: null,
      lease_until: null,
      updated_at: outcome.now,
      ...(outcome.error !== undefined ? { last_error: outcome.error.slice(0, maxErrorLength) } : {}),
      ...(outcome.runAt !== undefined ? { run_at: outcome.runAt } : {}),
    })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Running jobs whose lease expired with no attempt left: their worker died each time, so they
 * fail instead of being claimed again.
 */
export async function failExhaustedLeases(db: Executor, now: number): Promise<number> {
  const result = await db
    .updateTable('jobs')
    .set({
      state: 'failed',
      lease_owner: null,
      lease_until: null,
      last_error: 'the worker holding it stopped (lease expired) on its last attempt',
      updated_at: now,
    })
    .where('state', '=', 'running')
    .where('lease_until', '<', now)
    .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Queue a failed (or done) job again with fresh attempts; false when it is queued or running. */
export async function requeueJob(db: Executor, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ state: 'queued', attempts: 0, run_at: now, last_error: null, updated_at: now })
    .where('id', '=', id)
    .where('state', 'in', ['failed', 'done'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface JobFilter {
  state?: JobState;
  kind?: string;
  limit: number;
  /** The id of the last job of the previous page (newest first). */
  before?: { created_at: number; id: string };
}

/** Jobs newest first. */
export async function listJobs(db: Executor, filter: JobFilter): Promise<JobRow[]> {
  let query = db.selectFrom('jobs').selectAll();
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  const before = filter.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.created_at),
        eb.and([eb('created_at', '=', before.created_at), eb('id', '<', before.id)]),
      ]),
    );
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

export interface JobCounts {
  queued: number;
  running: number;
  failed: number;
  /** When the oldest job still waiting (queued or running) was created, or null. */
  oldestPendingAt: number | null;
}

export async function jobCounts(db: Executor): Promise<JobCounts> {
  const rows = await db
    .selectFrom('jobs')
    .select((eb) => ['state', eb.fn.countAll<number>().as('count'), eb.fn.min('created_at').as('oldest')])
    .where('state', 'in', ['queued', 'running', 'failed'])
    .groupBy('state')
    .execute();
  const counts: JobCounts = { queued: 0, running: 0, failed: 0, oldestPendingAt: null };
  for (const row of rows) {
    const state = row.state as 'queued' | 'running' | 'failed';
    counts[state] = Number(row.count);
    if (state !== 'failed' && row.oldest !== null) {
      const oldest = Number(row.oldest);
      counts.oldestPendingAt = Math.min(counts.oldestPendingAt ?? oldest, oldest);
    }
  }
  return counts;
}

/** Remove done jobs last changed before `before`. */
export async function pruneDoneJobs(db: Executor, before: number): Promise<number> {
  const result = await db
    .deleteFrom('jobs')
    .where('state', '=', 'done')
    .where('updated_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
