import { randomUUID } from 'node:crypto';
import type { HealthRecord } from '../health/record.js';
import type { Executor } from '../../db/index.js';

export async function insertHealthCheck(
  db: Executor,
  record: HealthRecord,
  checkedAt: number,
): Promise<void> {
  await db
    .insertInto('catalog_health_checks')
    .values({
      id: randomUUID(),
      entry_id: record.container_registry_id,
      checked_at: checkedAt,
      status: record.status,
      status_code: record.status_code,
      latency_ms: record.latency_ms,
      record: JSON.stringify(record),
    })
    .execute();
}

/** An entry's checks, newest first. */
export async function healthChecksOf(db: Executor, entryId: string, limit: number): Promise<HealthRecord[]> {
  const rows = await db
    .selectFrom('catalog_health_checks')
    .select('record')
    .where('entry_id', '=', entryId)
    .orderBy('checked_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => JSON.parse(r.record) as HealthRecord);
}

export async function pruneHealthChecks(db: Executor, before: number): Promise<number> {
  const result = await db
    .deleteFrom('catalog_health_checks')
    .where('checked_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Entries (id and public URL) after `after` in id order with no check since `since`: what a round of
 * periodic checks still has to do. Another replica's recent checks count, so replicas share the work.
 */
export async function entriesDue(
  db: Executor,
  since: number,
  after: string | undefined,
  limit: number,
): Promise<{ id: string; document: string }[]> {
  let query = db
    .selectFrom('catalog_entries as e')
    .select(['e.id', 'e.document'])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('catalog_health_checks as h')
            .select('h.id')
            .whereRef('h.entry_id', '=', 'e.id')
            .where('h.checked_at', '>', since),
        ),
      ),
    )
    .orderBy('e.id')
    .limit(limit);
  if (after !== undefined) query = query.where('e.id', '>', after);
  return query.execute();
}
