import { AppError } from '../errors/index.js';
import type { Executor, MetadataDb } from '../db/index.js';
import { assertDigest, digestOf, isDigest } from './digest.js';
import { assertTag, isTag } from './names.js';
import { parseManifest, type ParsedManifest } from './manifest.js';
import { mediaTypes } from './media-types.js';
import { ensureRepository, repositoryExists } from './store/repositories.js';
import { linkedBlobSizes } from './store/blobs.js';
import {
  deleteManifest,
  existingManifests,
  insertManifest,
  manifestByDigest,
  manifestByTag,
  referrerRows,
  referrerSizes,
  type ReferrerRow,
  type StoredManifest,
} from './store/manifests.js';
import { deleteTag, deleteTagsOf, listTags, setTag } from './store/tags.js';
import { guardPut, queueForPut, queueForRemoval, queueForUntag } from './gc/write-guards.js';

export interface PutResult {
  digest: string;
  subject: string | null;
}

/** A manifest stored: where, under which tag (none when put by digest), and what it is. */
export interface ManifestPut {
  repository: string;
  tag: string | null;
  digest: string;
  manifest: ParsedManifest;
  /** The manifest's length in bytes. */
  size: number;
}

/** A manifest read by a client (a GET over /v2): registry:2's pull. */
export interface ManifestPull {
  repository: string;
  /** The tag asked for, when pulled by tag. */
  tag: string | null;
  digest: string;
  mediaType: string;
  size: number;
}

/** A manifest or tag removed: by tag (`tag`), or the manifest with every tag on it (`digest`). */
export interface ManifestRemoval {
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * What other rooms learn of manifest writes without the OCI room knowing them (the assets indexer,
 * notifications). Observers are added at start-up and called in that order; every manifest write,
 * over /v2 or not, passes them.
 */
export interface ManifestObserver {
  /** Before a put is written; throwing refuses it (a tag naming an immutable version). */
  beforePut?(put: ManifestPut): Promise<void>;
  /** Inside the put's transaction: rows written here (a job, an outbox entry) commit with it or not at all. */
  inPut?(tx: Executor, put: ManifestPut): Promise<void>;
  /** After a put has committed. */
  afterPut?(put: ManifestPut): Promise<void>;
  /** Inside the delete's transaction, after the rows are gone. */
  inDelete?(tx: Executor, removal: ManifestRemoval): Promise<void>;
  /** After a delete has committed. */
  afterDelete?(removal: ManifestRemoval): Promise<void>;
  /** After a client read a manifest (`ManifestService.pull`); not for HEAD or internal reads. */
  afterPull?(pull: ManifestPull): Promise<void>;
}

export interface PutOptions {
  /** More rows written in the put's own transaction (after the manifest and its tag): all or nothing. */
  within?: (tx: Executor, put: ManifestPut) => Promise<void>;
  /**
   * A pull-through cache's copy of an upstream manifest: the blobs and child manifests it names
   * come later (when a client pulls them), so their presence is not required; the references are
   * recorded all the same (GC keeps what the manifest names once it is there).
   */
  partial?: boolean;
}

/** Room for a descriptor's fields beside what its manifest's bytes already bound. */
const descriptorOverhead = 512;

/**
 * A referrer's descriptor as JSON text. The annotations are spliced in as stored (JSON text this
 * service wrote from a parsed manifest), never parsed and serialized again.
 */
function descriptorJson(r: ReferrerRow): string {
  const fields = JSON.stringify({
    mediaType: r.media_type,
    digest: r.digest,
    size: r.size,
    ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
  });
  return r.annotations ? `${fields.slice(0, -1)},"annotations":${r.annotations}}` : fields;
}

function manifestUnknown(reference: string): AppError {
  return new AppError('MANIFEST_UNKNOWN', undefined, { reference });
}

export class ManifestService {
  private readonly observers: ManifestObserver[] = [];

  constructor(private readonly meta: MetadataDb) {}

  /** Add an observer of manifest writes (start-up wiring); all are called, in the order added. */
  observe(observer: ManifestObserver): void {
    this.observers.push(observer);
  }

  /** A client's read of a manifest (a /v2 GET): `get`, then the observers learn of the pull. */
  async pull(repository: string, reference: string): Promise<StoredManifest> {
    const found = await this.get(repository, reference);
    const pull: ManifestPull = {
      repository,
      tag: isDigest(reference) ? null : reference,
      digest: found.digest,
      mediaType: found.media_type,
      size: found.payload.length,
    };
    for (const o of this.observers) await o.afterPull?.(pull);
    return found;
  }

  /** One indexed lookup, by tag or by digest. */
  async get(repository: string, reference: string): Promise<StoredManifest> {
    let found: StoredManifest | undefined;
    if (isDigest(reference)) {
      assertDigest(reference);
      found = await manifestByDigest(this.meta.db, repository, reference);
    } else if (isTag(reference)) {
      found = await manifestByTag(this.meta.db, repository, reference);
    }
    if (!found) throw manifestUnknown(reference);
    return found;
  }

  async put(
    repository: string,
    reference: string,
    body: Buffer,
    contentType: string | undefined,
    options: PutOptions = {},
  ): Promise<PutResult> {
    const byDigest = isDigest(reference);
    const digest = byDigest ? digestOf(body, assertDigest(reference).algorithm) : digestOf(body);
    if (byDigest && digest !== reference) {
      throw new AppError('DIGEST_INVALID', 'manifest digest does not match the reference', {
        reference,
        digest,
      });
    }
    if (!byDigest) assertTag(reference);
    const manifest = parseManifest(body, contentType);
    if (!options.partial) await this.checkReferences(repository, manifest);
    const put: ManifestPut = {
      repository,
      tag: byDigest ? null : reference,
      digest,
      manifest,
      size: body.length,
    };
    for (const o of this.observers) await o.beforePut?.(put);

    const now = Date.now();
    await this.meta.db.transaction().execute(async (tx) => {
      await queueForPut(tx, repository, digest, put.tag, now);
      await ensureRepository(tx, repository, now);
      const write = () =>
        insertManifest(
          tx,
          {
            repository,
            digest,
            media_type: manifest.mediaType,
            artifact_type: manifest.artifactType,
            subject: manifest.subject?.digest ?? null,
            annotations: manifest.annotations ? JSON.stringify(manifest.annotations) : null,
            size: body.length,
            payload: body,
          },
          [
            ...manifest.blobs.map((d) => ({ digest: d.digest, kind: 'blob' as const })),
            ...manifest.manifests.map((d) => ({ digest: d.digest, kind: 'manifest' as const })),
          ],
          now,
        );
      await write();
      await guardPut(tx, repository, digest, manifest, write, options.partial);
      if (!byDigest) await setTag(tx, repository, reference, digest, now);
      await options.within?.(tx, put);
      for (const o of this.observers) await o.inPut?.(tx, put);
    });
    for (const o of this.observers) await o.afterPut?.(put);
    return { digest, subject: manifest.subject?.digest ?? null };
  }

  /** Untag by tag; remove the manifest and every tag on it by digest. */
  async delete(repository: string, reference: string): Promise<void> {
    if (isDigest(reference)) {
      assertDigest(reference);
      const removal: ManifestRemoval = { repository, digest: reference };
      const deleted = await this.meta.db.transaction().execute(async (tx) => {
        await queueForRemoval(tx, repository, reference, Date.now());
        await deleteTagsOf(tx, repository, reference);
        const gone = await deleteManifest(tx, repository, reference);
        if (gone) for (const o of this.observers) await o.inDelete?.(tx, removal);
        return gone;
      });
      if (!deleted) throw manifestUnknown(reference);
      for (const o of this.observers) await o.afterDelete?.(removal);
      return;
    }
    const removal: ManifestRemoval = { repository, tag: reference };
    const untagged =
      isTag(reference) &&
      (await this.meta.db.transaction().execute(async (tx) => {
        await queueForUntag(tx, repository, reference, Date.now());
        const gone = await deleteTag(tx, repository, reference);
        if (gone) for (const o of this.observers) await o.inDelete?.(tx, removal);
        return gone;
      }));
    if (!untagged) throw manifestUnknown(reference);
    for (const o of this.observers) await o.afterDelete?.(removal);
  }

  async tags(repository: string, limit: number, last?: string): Promise<string[]> {
    const tags = await listTags(this.meta.db, repository, limit, last);
    if (tags.length === 0 && last === undefined && !(await repositoryExists(this.meta.db, repository))) {
      throw new AppError('NAME_UNKNOWN', undefined, { name: repository });
    }
    return tags;
  }

  /**
   * One page of the referrers of a subject, as the JSON text of an OCI image index. A page holds
   * at most `maxCount` descriptors and about `maxBytes` (always at least one descriptor, however
   * large): annotations may be megabytes each, so the whole list is never read or built at once.
   * The page is planned from the manifests' sizes (a descriptor is no larger than its manifest plus
   * a few fields), then only its rows are read. `next` is the digest to continue after, if any.
   */
  async referrers(
    repository: string,
    subject: string,
    page: { artifactType?: string; after?: string; maxBytes: number; maxCount: number },
  ): Promise<{ json: string; next?: string }> {
    assertDigest(subject);
    if (page.after !== undefined) assertDigest(page.after);
    const sizes = await referrerSizes(this.meta.db, repository, subject, {
      artifactType: page.artifactType,
      after: page.after,
      limit: page.maxCount + 1,
    });
    let bytes = 0;
    let count = 0;
    while (count < Math.min(sizes.length, page.maxCount)) {
      const estimate = sizes[count]!.size + descriptorOverhead;
      if (count > 0 && bytes + estimate > page.maxBytes) break;
      bytes += estimate;
      count++;
    }
    const chosen = sizes.slice(0, count).map((s) => s.digest);
    const rows = await referrerRows(this.meta.db, repository, chosen);
    const json = `{"schemaVersion":2,"mediaType":${JSON.stringify(mediaTypes.ociIndex)},"manifests":[${rows
      .map(descriptorJson)
      .join(',')}]}`;
    return count < sizes.length ? { json, next: chosen.at(-1) } : { json };
  }

  /** Every blob and child manifest a manifest names must already be in the repository. */
  private async checkReferences(repository: string, manifest: ParsedManifest): Promise<void> {
    const required = manifest.blobs.filter((d) => !d.urls?.length);
    const sizes = await linkedBlobSizes(this.meta.db, repository, [
      ...new Set(required.map((d) => d.digest)),
    ]);
    for (const d of required) {
      const size = sizes.get(d.digest);
      if (size === undefined) throw new AppError('MANIFEST_BLOB_UNKNOWN', undefined, { digest: d.digest });
      if (size !== d.size) {
        throw new AppError('MANIFEST_INVALID', 'descriptor size does not match the blob', {
          digest: d.digest,
          size: d.size,
          actual: size,
        });
      }
    }
    const children = [...new Set(manifest.manifests.map((d) => d.digest))];
    const present = await existingManifests(this.meta.db, repository, children);
    for (const digest of children) {
      if (!present.has(digest)) throw new AppError('MANIFEST_BLOB_UNKNOWN', undefined, { digest });
    }
  }
}
