import type { MetadataDb } from '../../db/index.js';
import { blobPath } from '../digest.js';
import type { StoreRouter } from '../stores.js';

/** A blob a manifest needs that a location that should hold it does not. */
export interface FsckProblem {
  repository: string;
  manifest: string;
  digest: string;
  location: string;
  problem: 'not recorded' | 'missing from storage' | 'wrong size' | 'location unavailable' | 'no blob record';
}

export interface FsckReport {
  manifests: number;
  blobsChecked: number;
  problems: FsckProblem[];
  /** Copies replication still owes (not yet a gap: each has its job), by location and blob. */
  pendingCopies: { location: string; digest: string }[];
}

/**
 * Check that every manifest's blobs exist in every location that should hold them: recorded in
 * `blob_locations` and present in that location's storage with the recorded size. A copy
 * replication still owes is listed apart (`pendingCopies`), not as a gap. Reads only; each
 * (location, blob) is looked up once.
 */
export async function fsck(meta: MetadataDb, stores: StoreRouter): Promise<FsckReport> {
  const db = meta.db;
  const refs = await db
    .selectFrom('manifest_references as r')
    .leftJoin('blobs as b', 'b.digest', 'r.child_digest')
    .select(['r.repository', 'r.manifest_digest', 'r.child_digest', 'b.size'])
    .where('r.kind', '=', 'blob')
    .orderBy('r.repository')
    .orderBy('r.manifest_digest')
    .execute();
  const manifests = await db
    .selectFrom('manifests')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const recorded = new Set(
    (await db.selectFrom('blob_locations').select(['location', 'digest']).execute()).map(
      (r) => `${r.location} ${r.digest}`,
    ),
  );
  const owed = await db.selectFrom('replication_copies').select(['location', 'digest']).execute();
  const pending = new Set(owed.map((r) => `${r.location} ${r.digest}`));
  const checked = new Map<string, FsckProblem['problem'] | null>();
  const problems: FsckProblem[] = [];
  for (const ref of refs) {
    let locations: string[];
    try {
      locations = stores.locationsFor?.(ref.repository) ?? [stores.storeFor(ref.repository).location];
    } catch {
      locations = [];
    }
    for (const location of locations) {
      const key = `${location} ${ref.child_digest}`;
      if (pending.has(key) && !recorded.has(key)) continue;
      if (!checked.has(key))
        checked.set(key, await checkOne(stores, location, ref.child_digest, ref.size, recorded.has(key)));
      const problem = checked.get(key);
      if (problem)
        problems.push({
          repository: ref.repository,
          manifest: ref.manifest_digest,
          digest: ref.child_digest,
          location,
          problem,
        });
    }
  }
  const pendingCopies = owed.map((r) => ({ location: r.location, digest: r.digest }));
  return { manifests: Number(manifests.n), blobsChecked: checked.size, problems, pendingCopies };
}

async function checkOne(
  stores: StoreRouter,
  location: string,
  digest: string,
  size: number | null,
  recorded: boolean,
): Promise<FsckProblem['problem'] | null> {
  if (size === null) return 'no blob record';
  if (!recorded) return 'not recorded';
  const driver = stores.driverOf?.(location) ?? stores.all().find((s) => s.location === location)?.driver;
  if (!driver) return 'location unavailable';
  const stat = await driver.stat(blobPath(digest));
  if (!stat) return 'missing from storage';
  return Number(stat.size) === Number(size) ? null : 'wrong size';
}
