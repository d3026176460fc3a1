import type { Executor } from '../../db/index.js';
import type { ReplicationCopiesTable } from '../tables.js';

export type PendingCopy = ReplicationCopiesTable;

/** Repositories of a registry: names from `<key>/` up to (not including) `<key>0` ('0' follows '/'). */
function ofRegistry(registry: string): readonly [string, string] {
  return [`${registry}/`, `${registry}0`] as const;
}

/** Queue a copy unless one is pending for that location and blob; true when this call queued it. */
export async function queueCopy(
  db: Executor,
  copy: Pick<PendingCopy, 'location' | 'digest' | 'repository' | 'source' | 'size' | 'created_at'>,
): Promise<boolean> {
  const result = await db
    .insertInto('replication_copies')
    .values({ ...copy, attempts: 0, last_error: null, last_error_at: null })
    .onConflict((oc) => oc.columns(['location', 'digest']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export function pendingCopy(
  db: Executor,
  location: string,
  digest: string,
): Promise<PendingCopy | undefined> {
  return db
    .selectFrom('replication_copies')
    .selectAll()
    .where('location', '=', location)
    .where('digest', '=', digest)
    .executeTakeFirst();
}

export async function finishCopy(db: Executor, location: string, digest: string): Promise<void> {
  await db
    .deleteFrom('replication_copies')
    .where('location', '=', location)
    .where('digest', '=', digest)
    .execute();
}

/** Note a failed attempt (the row stays: the copy is still owed). */
export async function noteCopyError(
  db: Executor,
  location: string,
  digest: string,
  message: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('replication_copies')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: message.slice(0, 2000),
      last_error_at: now,
    }))
    .where('location', '=', location)
    .where('digest', '=', digest)
    .execute();
}

/** Drop the copies owed to a registry's repositories, in `locations` or everywhere (a location removed, a registry deleted). */
export async function dropCopies(db: Executor, registry: string, locations?: string[]): Promise<void> {
  if (locations?.length === 0) return;
  const [from, to] = ofRegistry(registry);
  let query = db
    .deleteFrom('replication_copies')
    .where('repository', '>=', from)
    .where('repository', '<', to);
  if (locations) query = query.where('location', 'in', locations);
  await query.execute();
}

/** Blobs linked into a registry's repositories that `location` neither holds nor is owed (one repository each). */
export async function missingIn(
  db: Executor,
  registry: string,
  location: string,
): Promise<{ digest: string; repository: string; size: number }[]> {
  const [from, to] = ofRegistry(registry);
  const rows = await db
    .selectFrom('repository_blobs as rb')
    .innerJoin('blobs as b', 'b.digest', 'rb.digest')
    .select(['rb.digest', 'b.size'])
    .select((eb) => eb.fn.min('rb.repository').as('repository'))
    .where('rb.repository', '>=', from)
    .where('rb.repository', '<', to)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('blob_locations as l')
            .select('l.digest')
            .whereRef('l.digest', '=', 'rb.digest')
            .where('l.location', '=', location),
        ),
      ),
    )
    .groupBy(['rb.digest', 'b.size'])
    .execute();
  return rows.map((r) => ({ digest: r.digest, repository: String(r.repository), size: Number(r.size) }));
}

/** What a location holds of a registry and what it is still owed. */
export interface LocationFigures {
  blobs: number;
  bytes: number;
  pending: number;
  /** Creation time of the oldest pending copy. */
  oldest: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
}

export async function locationFigures(
  db: Executor,
  registry: string,
  location: string,
): Promise<LocationFigures> {
  const [from, to] = ofRegistry(registry);
  const held = await db
    .selectFrom('blobs as b')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('b.size').as('bytes')])
    .where('b.digest', 'in', (eb) =>
      eb
        .selectFrom('repository_blobs')
        .select('digest')
        .where('repository', '>=', from)
        .where('repository', '<', to),
    )
    .where('b.digest', 'in', (eb) =>
      eb.selectFrom('blob_locations').select('digest').where('location', '=', location),
    )
    .executeTakeFirstOrThrow();
  const owed = await db
    .selectFrom('replication_copies')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number>('created_at').as('oldest')])
    .where('repository', '>=', from)
    .where('repository', '<', to)
    .where('location', '=', location)
    .executeTakeFirstOrThrow();
  const failed = await db
    .selectFrom('replication_copies')
    .select(['last_error', 'last_error_at'])
    .where('repository', '>=', from)
    .where('repository', '<', to)
    .where('location', '=', location)
    .where('last_error', 'is not', null)
    .orderBy('last_error_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return {
    blobs: Number(held.n),
    bytes: Number(held.bytes ?? 0),
    pending: Number(owed.n),
    oldest: owed.oldest === null ? null : Number(owed.oldest),
    lastError: failed?.last_error ?? null,
    lastErrorAt: failed?.last_error_at == null ? null : Number(failed.last_error_at),
  };
}

/** Blobs linked into a registry's repositories that `location` holds. */
export async function heldFor(db: Executor, registry: string, location: string): Promise<string[]> {
  const [from, to] = ofRegistry(registry);
  const rows = await db
    .selectFrom('blob_locations as l')
    .select('l.digest')
    .where('l.location', '=', location)
    .where('l.digest', 'in', (eb) =>
      eb
        .selectFrom('repository_blobs')
        .select('digest')
        .where('repository', '>=', from)
        .where('repository', '<', to),
    )
    .execute();
  return rows.map((r) => r.digest);
}
