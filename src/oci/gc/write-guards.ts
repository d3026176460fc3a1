import { AppError } from '../../errors/index.js';
import type { Executor } from '../../db/index.js';
import type { ParsedManifest } from '../manifest.js';
import { linkedBlobSizes } from '../store/blobs.js';
import { dependentsOf } from './decide.js';
import { lockBlobs, lockManifests } from './locks.js';
import { queueBlobReviews, queueManifestReviews } from './review-queue.js';

async function tagTarget(tx: Executor, repository: string, tag: string): Promise<string | undefined> {
  const row = await tx
    .selectFrom('tags')
    .select('digest')
    .where('repository', '=', repository)
    .where('name', '=', tag)
    .executeTakeFirst();
  return row?.digest;
}

/**
 * Queue what a manifest put may leave unreferenced or re-reference: the manifest itself (untagged it
 * is collected after the grace period; tagged, its review keeps it) and what the tag pointed to
 * before. First in the put's transaction, before any row lock (the order a GC review takes).
 */
export async function queueForPut(
  tx: Executor,
  repository: string,
  digest: string,
  tag: string | null,
  now: number,
): Promise<void> {
  const previous = tag === null ? undefined : await tagTarget(tx, repository, tag);
  await queueManifestReviews(tx, repository, previous ? [digest, previous] : [digest], now);
}

/**
 * Inside a put's transaction, after its rows are written: lock what the manifest stands on and check
 * it is still there. A GC review that deleted the manifest itself while this put waited is undone
 * (`reinsert` writes it again); one that deleted a blob link or a child manifest the put checked
 * before its transaction makes the put fail as if the client had named something unknown.
 */
export async function guardPut(
  tx: Executor,
  repository: string,
  digest: string,
  manifest: ParsedManifest,
  reinsert: () => Promise<void>,
  /** A pull-through cache's copy: what it names may arrive later (nothing to check yet). */
  partial = false,
): Promise<void> {
  if (!(await lockManifests(tx, repository, [digest], 'share')).has(digest)) {
    await reinsert();
    await lockManifests(tx, repository, [digest], 'share');
  }
  if (partial) return;
  const children = [...new Set(manifest.manifests.map((d) => d.digest))];
  const present = await lockManifests(tx, repository, children, 'share');
  for (const child of children) {
    if (!present.has(child)) throw new AppError('MANIFEST_BLOB_UNKNOWN', undefined, { digest: child });
  }
  const blobs = [...new Set(manifest.blobs.filter((d) => !d.urls?.length).map((d) => d.digest))];
  const locked = await lockBlobs(tx, blobs, 'share');
  const linked = await linkedBlobSizes(tx, repository, blobs);
  for (const blob of blobs) {
    if (!locked.has(blob) || !linked.has(blob))
      throw new AppError('MANIFEST_BLOB_UNKNOWN', undefined, { digest: blob });
  }
}

/** Before a manifest's rows go: queue what it named and its referrers (they may now be unreferenced). */
export async function queueForRemoval(tx: Executor, repository: string, digest: string, now: number) {
  const dependents = await dependentsOf(tx, repository, digest);
  await queueBlobReviews(tx, dependents.blobs, now);
  await queueManifestReviews(tx, repository, dependents.manifests, now);
}

/** Before a tag goes: queue the manifest it names. */
export async function queueForUntag(tx: Executor, repository: string, tag: string, now: number) {
  const target = await tagTarget(tx, repository, tag);
  if (target) await queueManifestReviews(tx, repository, [target], now);
}
