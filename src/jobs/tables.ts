/** The jobs room's table: background work as rows. Times are milliseconds since the epoch. */

export type JobState = 'queued' | 'running' | 'done' | 'failed';

/**
 * One job. `queued` waits for `run_at`; `running` is held by `lease_owner` until `lease_until`
 * (an expired lease is claimed again: its worker died); `done` and `failed` are final until a retry.
 */
export interface JobsTable {
  id: string;
  kind: string;
  /** JSON text the kind's handler reads. */
  payload: string;
  state: JobState;
  /** Claims so far (each claim is an attempt, a lease lost to a crash included). */
  attempts: number;
  max_attempts: number;
  run_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface JobsTables {
  jobs: JobsTable;
}
