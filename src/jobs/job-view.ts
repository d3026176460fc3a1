import type { JobRow } from './store.js';
import type { JobState } from './tables.js';

/** A job as the API and the CLI show it. */
export interface JobView {
  id: string;
  kind: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  payload: unknown;
  run_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function jobView(row: JobRow): JobView {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    payload = row.payload;
  }
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    attempts: Number(row.attempts),
    max_attempts: Number(row.max_attempts),
    payload,
    run_at: iso(Number(row.run_at)),
    lease_owner: row.lease_owner,
    lease_until: row.lease_until === null ? null : iso(Number(row.lease_until)),
    last_error: row.last_error,
    created_at: iso(Number(row.created_at)),
    updated_at: iso(Number(row.updated_at)),
  };
}
