import type { Logger } from 'pino';
import { AppError } from '../errors/index.js';
import type { MetadataDb } from '../db/index.js';
import {
  parseManifest,
  type Distribution,
  type ManifestObserver,
  type ManifestPut,
  type ManifestRemoval,
  type ParsedManifest,
} from '../oci/index.js';
import type { AssetRegistries } from './asset-registries.js';
import { readSmallBlob } from './small-blob.js';
import { parseAssetRepository, type AssetKey } from './kinds.js';
import { describedBy, formatOf, recognizeVersion } from './recognize.js';
import { recordVersion, removeVersion } from './recorder.js';
import type { AssetObservers } from './asset-observers.js';
import { getVersion, versionsWithDigest } from './store/versions.js';

/** Largest config blob read to describe a version (a Kitfile, a ModelPack config). */
const maxConfigBytes = 1 << 20;
/** Children of an index looked at for a wrapped model (a ModelKit index lists one). */
const maxWrapped = 16;

/**
 * The observer of every manifest write: a tagged put in `<registry>/<kind>s/<name>` that carries an
 * asset (whatever client pushed it) becomes a version; a version's tag is never moved to another
 * manifest (versions are immutable, deleted numbers never reused); deletes over /v2 tombstone the
 * versions they remove.
 */
export class AssetIndexer implements ManifestObserver {
  constructor(
    private readonly meta: MetadataDb,
    private readonly distribution: Distribution,
    private readonly registries: AssetRegistries,
    private readonly log: Pick<Logger, 'error'>,
    private readonly observers?: AssetObservers,
  ) {}

  private keyOf(repository: string): AssetKey | undefined {
    const key = parseAssetRepository(repository);
    return key && this.registries.locate(key.registry)?.registry === key.registry ? key : undefined;
  }

  async beforePut(put: ManifestPut): Promise<void> {
    const key = put.tag === null ? undefined : this.keyOf(put.repository);
    if (!key) return;
    const existing = await getVersion(this.meta.db, key, put.tag!);
    if (existing && existing.digest !== put.digest) {
      throw new AppError(
        'ASSET_VERSION_EXISTS',
        `${put.tag} is a version of ${key.kind} '${key.name}' (published or deleted): versions are immutable`,
      );
    }
  }

  async afterPut(put: ManifestPut): Promise<void> {
    try {
      const key = this.keyOf(put.repository);
      if (!key || put.tag === null) return;
      // An index wrapping a model (KitOps pushes a ModelKit so) is the version; the files are the model's.
      const manifest =
        put.manifest.kind === 'index' ? await this.wrappedModel(put.repository, put.manifest) : put.manifest;
      const found = manifest && formatOf(manifest);
      if (!manifest || !found || found.kind !== key.kind) return;
      if (await getVersion(this.meta.db, key, put.tag)) return;
      const config = found.format === 'image' ? undefined : await this.config(put.repository, manifest);
      const recognized = recognizeVersion(put.repository, put.tag, manifest, config);
      if (!recognized) return;
      await this.meta.db.transaction().execute((tx) =>
        recordVersion(
          tx,
          {
            key,
            version: recognized.version,
            digest: put.digest,
            format: recognized.format,
            description: describedBy(recognized.format, config),
            tags: {},
            properties: {},
            type: null,
            card: null,
            spec: null,
            flags: recognized.flags,
            files: recognized.files,
            lineage: [],
            by: null,
            now: Date.now(),
          },
          this.observers,
        ),
      );
    } catch (err) {
      // The push has succeeded; a version not recorded is logged, never a failed push.
      this.log.error({ err, repository: put.repository, tag: put.tag }, 'assets: could not record a version');
    }
  }

  async afterDelete(removal: ManifestRemoval): Promise<void> {
    try {
      const key = this.keyOf(removal.repository);
      if (!key) return;
      const versions =
        removal.tag !== undefined
          ? [removal.tag]
          : await versionsWithDigest(this.meta.db, key, removal.digest!);
      const now = Date.now();
      for (const version of versions) {
        await this.meta.db.transaction().execute((tx) => removeVersion(tx, key, version, now));
      }
    } catch (err) {
      this.log.error({ err, repository: removal.repository }, 'assets: could not record a deletion');
    }
  }

  /** The one ModelPack or ModelKit manifest an index lists, or undefined (an image's platforms, …). */
  private async wrappedModel(repository: string, index: ParsedManifest): Promise<ParsedManifest | undefined> {
    const models: ParsedManifest[] = [];
    for (const child of index.manifests.slice(0, maxWrapped)) {
      try {
        const stored = await this.distribution.manifests.get(repository, child.digest);
        const parsed = parseManifest(stored.payload, stored.media_type);
        if (formatOf(parsed)?.kind === 'model' && formatOf(parsed)?.format !== 'image') models.push(parsed);
      } catch {
        // A child that is not here or not parsable is no model.
      }
    }
    return models.length === 1 ? models[0] : undefined;
  }

  private async config(repository: string, manifest: ParsedManifest): Promise<unknown> {
    const descriptor = manifest.blobs[0]!;
    if (descriptor.size > maxConfigBytes) return undefined;
    try {
      const text = await readSmallBlob(this.distribution, repository, descriptor.digest, descriptor.size);
      return JSON.parse(text.toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }
}
