import { PreparedQuery, type Executor } from '../../db/index.js';
import type { ManifestsTable } from '../tables.js';

export interface StoredManifest {
  digest: string;
  media_type: string;
  payload: Buffer;
}

export type ManifestRow = Omit<ManifestsTable, 'created_at'>;

const byDigest = new PreparedQuery<StoredManifest>((db) =>
  db
    .selectFrom('manifests')
    .select(['digest', 'media_type', 'payload'])
    .where('repository', '=', '?repository')
    .where('digest', '=', '?digest'),
);

const byTag = new PreparedQuery<StoredManifest>((db) =>
  db
    .selectFrom('tags as t')
    .innerJoin('manifests as m', (j) =>
      j.onRef('m.repository', '=', 't.repository').onRef('m.digest', '=', 't.digest'),
    )
    .select(['m.digest', 'm.media_type', 'm.payload'])
    .where('t.repository', '=', '?repository')
    .where('t.name', '=', '?tag'),
);

export function manifestByDigest(
  db: Executor,
  repository: string,
  digest: string,
): Promise<StoredManifest | undefined> {
  return byDigest.first(db, [repository, digest]);
}

/** The hottest query of a registry: one indexed join. */
export function manifestByTag(
  db: Executor,
  repository: string,
  tag: string,
): Promise<StoredManifest | undefined> {
  return byTag.first(db, [repository, tag]);
}

/** Which of the given manifests exist in a repository. */
export async function existingManifests(
  db: Executor,
  repository: string,
  digests: string[],
): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  const rows = await db
    .selectFrom('manifests')
    .select('digest')
    .where('repository', '=', repository)
    .where('digest', 'in', digests)
    .execute();
  return new Set(rows.map((r) => r.digest));
}

export async function insertManifest(
  db: Executor,
  row: ManifestRow,
  references: { digest: string; kind: 'blob' | 'manifest' }[],
  now: number,
): Promise<void> {
  await db
    .insertInto('manifests')
    .values({ ...row, created_at: now })
    .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing())
    .execute();
  const unique = new Map(references.map((r) => [r.digest, r.kind]));
  if (unique.size === 0) return;
  await db
    .insertInto('manifest_references')
    .values(
      [...unique].map(([child_digest, kind]) => ({
        repository: row.repository,
        manifest_digest: row.digest,
        child_digest,
        kind,
      })),
    )
    .onConflict((oc) => oc.columns(['repository', 'manifest_digest', 'child_digest']).doNothing())
    .execute();
}

export async function deleteManifest(db: Executor, repository: string, digest: string): Promise<boolean> {
  const result = await db
    .deleteFrom('manifests')
    .where('repository', '=', repository)
    .where('digest', '=', digest)
    .executeTakeFirst();
  await db
    .deleteFrom('manifest_references')
    .where('repository', '=', repository)
    .where('manifest_digest', '=', digest)
    .execute();
  return Number(result.numDeletedRows) > 0;
}

/** A referrer as the referrers API lists it. */
export type ReferrerRow = Pick<
  ManifestRow,
  'digest' | 'media_type' | 'artifact_type' | 'annotations' | 'size'
>;

/**
 * The digests and manifest sizes of up to `limit` referrers of a subject after `after`, in digest
 * order (a stable key, so pages never repeat or skip one): enough to plan a page without reading
 * the rows' annotations.
 */
export async function referrerSizes(
  db: Executor,
  repository: string,
  subject: string,
  options: { artifactType?: string; after?: string; limit: number },
): Promise<{ digest: string; size: number }[]> {
  let query = db
    .selectFrom('manifests')
    .select(['digest', 'size'])
    .where('repository', '=', repository)
    .where('subject', '=', subject);
  if (options.artifactType !== undefined) query = query.where('artifact_type', '=', options.artifactType);
  if (options.after !== undefined) query = query.where('digest', '>', options.after);
  return query.orderBy('digest').limit(options.limit).execute();
}

/** The referrer rows of the given digests, in digest order. */
export async function referrerRows(
  db: Executor,
  repository: string,
  digests: string[],
): Promise<ReferrerRow[]> {
  if (digests.length === 0) return [];
  return db
    .selectFrom('manifests')
    .select(['digest', 'media_type', 'artifact_type', 'annotations', 'size'])
    .where('repository', '=', repository)
    .where('digest', 'in', digests)
    .orderBy('digest')
    .execute();
}
