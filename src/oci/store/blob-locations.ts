import type { Executor } from '../../db/index.js';

/** Record that `location` holds a blob's bytes (idempotent). */
export async function recordBlobLocation(
  db: Executor,
  location: string,
  digest: string,
  now: number,
): Promise<void> {
  await db
    .insertInto('blob_locations')
    .values({ location, digest, created_at: now })
    .onConflict((oc) => oc.columns(['location', 'digest']).doNothing())
    .execute();
}

/** Size of a blob that `location` holds, or undefined. */
export async function blobSizeIn(
  db: Executor,
  location: string,
  digest: string,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('blobs as b')
    .innerJoin('blob_locations as l', 'l.digest', 'b.digest')
    .select('b.size')
    .where('l.location', '=', location)
    .where('b.digest', '=', digest)
    .executeTakeFirst();
  return row?.size;
}

/** Digests of the blobs `location` holds. */
export async function blobsIn(db: Executor, location: string): Promise<string[]> {
  const rows = await db
    .selectFrom('blob_locations')
    .select('digest')
    .where('location', '=', location)
    .execute();
  return rows.map((r) => r.digest);
}

/** Forget every blob `location` held (its bytes are gone). */
export async function forgetLocation(db: Executor, location: string): Promise<void> {
  await db.deleteFrom('blob_locations').where('location', '=', location).execute();
}

/** The locations recorded as holding a blob. */
export async function locationsOf(db: Executor, digest: string): Promise<string[]> {
  const rows = await db
    .selectFrom('blob_locations')
    .select('location')
    .where('digest', '=', digest)
    .execute();
  return rows.map((r) => r.location);
}
