import type { MetadataDb } from '../../db/index.js';
import { stagingPrefix, uploadUrlSeconds } from '../presigned-uploads.js';
import type { StoreRouter } from '../stores.js';

/**
 * Abandoned browser-upload staging objects: they have no row and the object stores give no usable
 * age through the storage contract, so GC notes when it first sees each one and deletes it once it
 * has been there for the URL's lifetime plus the grace period (before `cutoff`, less the URL's
 * lifetime). A completed upload's object is gone already; its note is dropped with it.
 */
export async function sweepStaging(
  meta: MetadataDb,
  stores: StoreRouter,
  cutoff: number,
  dryRun: boolean,
): Promise<string[]> {
  const now = Date.now();
  const deadline = cutoff - uploadUrlSeconds * 1000;
  const swept: string[] = [];
  const seen = new Set<string>();
  for (const { location, driver } of stores.all()) {
    if (!driver.bucket || seen.has(location)) continue;
    seen.add(location);
    const present = new Set<string>();
    for await (const path of driver.list(stagingPrefix)) present.add(path);
    const notes = await meta.db
      .selectFrom('gc_staging_seen')
      .select(['path', 'first_seen'])
      .where('location', '=', location)
      .execute();
    const noted = new Map(notes.map((n) => [n.path, Number(n.first_seen)]));
    for (const path of present) {
      const first = noted.get(path);
      if (first === undefined) {
        if (!dryRun)
          await meta.db
            .insertInto('gc_staging_seen')
            .values({ location, path, first_seen: now })
            .onConflict((oc) => oc.doNothing())
            .execute();
      } else if (first < deadline) {
        swept.push(`${location}:${path}`);
        if (dryRun) continue;
        await driver.delete(path);
        await meta.db
          .deleteFrom('gc_staging_seen')
          .where('location', '=', location)
          .where('path', '=', path)
          .execute();
      }
    }
    const vanished = [...noted.keys()].filter((p) => !present.has(p));
    if (!dryRun && vanished.length > 0)
      await meta.db
        .deleteFrom('gc_staging_seen')
        .where('location', '=', location)
        .where('path', 'in', vanished)
        .execute();
  }
  return swept;
}
