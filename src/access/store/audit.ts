import type { Insertable, Selectable } from 'kysely';
import type { AccessAuditTable } from '../tables.js';
import type { Executor } from '../../db/index.js';

export type AuditRow = Selectable<AccessAuditTable>;

export interface AuditFilter {
  actor?: string;
  action?: string;
  outcome?: string;
  resource?: string;
  since?: number;
  until?: number;
  /** Rows with an id below this one (the previous page's last id): pages go back in time. */
  before?: string;
  limit: number;
}

export async function insertAuditRows(db: Executor, rows: Insertable<AccessAuditTable>[]): Promise<void> {
  // 13 parameters a row: batches stay far below either dialect's parameter limit.
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('access_audit')
      .values(rows.slice(i, i + 500))
      .execute();
  }
}

/** Newest first. */
export function queryAudit(db: Executor, filter: AuditFilter): Promise<AuditRow[]> {
  let query = db.selectFrom('access_audit').selectAll();
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.action !== undefined) {
    if (filter.action.endsWith('*')) {
      // A prefix as a range of code points: the column sorts by code point on both dialects.
      const prefix = filter.action.slice(0, -1);
      query = query.where('action', '>=', prefix);
      if (prefix !== '') {
        const upper = prefix.slice(0, -1) + String.fromCodePoint(prefix.codePointAt(prefix.length - 1)! + 1);
        query = query.where('action', '<', upper);
      }
    } else {
      query = query.where('action', '=', filter.action);
    }
  }
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
  if (filter.resource !== undefined) query = query.where('resource', '=', filter.resource);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  return query.orderBy('id', 'desc').limit(filter.limit).execute();
}

/**
 * Remove events older than `before`, a few thousand at a time (a long delete would hold SQLite's
 * write lock). Ids begin with the time as 13 digits, so the primary key finds them without an index
 * on `at`. Returns how many were removed.
 */
export async function deleteAuditBefore(db: Executor, before: number): Promise<number> {
  const below = String(Math.max(0, Math.floor(before))).padStart(13, '0');
  let removed = 0;
  for (;;) {
    const result = await db
      .deleteFrom('access_audit')
      .where('id', 'in', (q) =>
        q.selectFrom('access_audit').select('id').where('id', '<', below).orderBy('id').limit(5_000),
      )
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    removed += n;
    if (n < 5_000) return removed;
  }
}
