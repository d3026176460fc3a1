import type { Executor } from '../../db/index.js';

/**
 * Whether anything still needs a repository's manifest: a tag on it, an index of the repository that
 * names it, a subject of its own that is there (a referrer of a live manifest), or a hold another
 * room has on it (an asset version).
 */
export async function manifestReferenced(
  db: Executor,
  repository: string,
  digest: string,
  holds: ManifestHold[],
): Promise<boolean> {
  const tag = await db
    .selectFrom('tags')
    .select('name')
    .where('repository', '=', repository)
    .where('digest', '=', digest)
    .executeTakeFirst();
  if (tag) return true;
  const parent = await db
    .selectFrom('manifest_references')
    .select('manifest_digest')
    .where('repository', '=', repository)
    .where('child_digest', '=', digest)
    .where('kind', '=', 'manifest')
    .executeTakeFirst();
  if (parent) return true;
  const subject = await db
    .selectFrom('manifests as m')
    .innerJoin('manifests as s', (j) =>
      j.onRef('s.repository', '=', 'm.repository').onRef('s.digest', '=', 'm.subject'),
    )
    .select('s.digest')
    .where('m.repository', '=', repository)
    .where('m.digest', '=', digest)
    .executeTakeFirst();
  if (subject) return true;
  for (const hold of holds) if (await hold.holdsManifest(db, repository, digest)) return true;
  return false;
}

/** Another room's claim on manifests GC must keep (registered at start-up). */
export interface ManifestHold {
  holdsManifest(db: Executor, repository: string, digest: string): Promise<boolean>;
}

/** What a manifest's removal leaves to review: the blobs and manifests it names, and its referrers. */
export async function dependentsOf(
  db: Executor,
  repository: string,
  digest: string,
): Promise<{ blobs: string[]; manifests: string[] }> {
  const refs = await db
    .selectFrom('manifest_references')
    .select(['child_digest', 'kind'])
    .where('repository', '=', repository)
    .where('manifest_digest', '=', digest)
    .execute();
  const referrers = await db
    .selectFrom('manifests')
    .select('digest')
    .where('repository', '=', repository)
    .where('subject', '=', digest)
    .execute();
  return {
    blobs: refs.filter((r) => r.kind === 'blob').map((r) => r.child_digest),
    manifests: [
      ...refs.filter((r) => r.kind === 'manifest').map((r) => r.child_digest),
      ...referrers.map((r) => r.digest),
    ],
  };
}

/** What GC does with a blob: the locations whose copy goes, the links that go, whether its row goes. */
export interface BlobVerdict {
  size: number;
  /** Locations holding it that nothing needs any more. */
  release: string[];
  /** Repositories whose link to it goes (they do not reference it and their location releases it). */
  unlink: string[];
  /** No location and no link is left: the blob's row goes too. */
  forget: boolean;
  /** A location could not be resolved: nothing is decided now. */
  undecided: boolean;
}

/**
 * Decide a blob from the rows: the locations that must hold it are those of the repositories whose
 * manifests reference it (`locationsOf`); every other location holding it releases it.
 */
export async function decideBlob(
  db: Executor,
  digest: string,
  locationsOf: (repository: string) => string[] | undefined,
): Promise<BlobVerdict | undefined> {
  const blob = await db.selectFrom('blobs').select('size').where('digest', '=', digest).executeTakeFirst();
  if (!blob) return undefined;
  const referencing = await db
    .selectFrom('manifest_references')
    .select('repository')
    .distinct()
    .where('child_digest', '=', digest)
    .where('kind', '=', 'blob')
    .execute();
  const needed = new Set<string>();
  const verdict: BlobVerdict = {
    size: Number(blob.size),
    release: [],
    unlink: [],
    forget: false,
    undecided: false,
  };
  for (const { repository } of referencing) {
    const locations = locationsOf(repository);
    if (locations === undefined) return { ...verdict, undecided: true };
    for (const l of locations) needed.add(l);
  }
  const held = await db
    .selectFrom('blob_locations')
    .select('location')
    .where('digest', '=', digest)
    .execute();
  verdict.release = held.map((h) => h.location).filter((l) => !needed.has(l));
  const releasing = new Set(verdict.release);
  const referencingSet = new Set(referencing.map((r) => r.repository));
  const links = await db
    .selectFrom('repository_blobs')
    .select('repository')
    .where('digest', '=', digest)
    .execute();
  for (const { repository } of links) {
    if (referencingSet.has(repository)) continue;
    const locations = locationsOf(repository);
    // A repository no registry routes any more (its registry is gone) holds nothing worth keeping.
    if (
      needed.size === 0 ||
      locations === undefined ||
      locations.every((l) => releasing.has(l) || !needed.has(l))
    )
      verdict.unlink.push(repository);
  }
  verdict.forget =
    verdict.release.length === held.length &&
    verdict.unlink.length === links.length &&
    referencing.length === 0;
  return verdict;
}
