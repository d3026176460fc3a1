import { Readable } from 'node:stream';
import { AppError } from '../errors/index.js';
import type { MetadataDb } from '../db/index.js';
import type { Distribution } from '../oci/index.js';
import type { RegistryLocation } from '../access/index.js';
import { buildArtifact } from './artifact-builder.js';
import { assetRepository, type AssetKey } from './kinds.js';
import { parsePublishInput, type PublishInput } from './publish-input.js';
import { recordVersion } from './recorder.js';
import type { AssetObservers } from './asset-observers.js';
import type { VersionKey } from './store/lineage.js';
import { getVersion } from './store/versions.js';
import type { VersionService } from './version-service.js';

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';

/** May the caller read assets in this registry? (lineage may only name what the caller can read) */
export type MayRead = (where: RegistryLocation) => Promise<boolean>;

function exists(key: AssetKey, version: string): AppError {
  return new AppError(
    'ASSET_VERSION_EXISTS',
    `version '${version}' of ${key.kind} '${key.name}' exists or existed: versions are immutable and never reused`,
  );
}

/**
 * Publishing a version: every file's blob must already be in the asset's repository (pushed over
 * /v2 or mounted); each is checked, the config blob is stored through the OCI upload path, and the
 * manifest, its tag and the version's rows are written in one transaction: all or nothing.
 */
export class Publisher {
  constructor(
    private readonly meta: MetadataDb,
    private readonly distribution: Distribution,
    private readonly versions: VersionService,
    private readonly observers?: AssetObservers,
  ) {}

  async publish(key: AssetKey, body: unknown, by: string | null, mayRead: MayRead): Promise<void> {
    const input = parsePublishInput(key.kind, body);
    if (await getVersion(this.meta.db, key, input.version)) throw exists(key, input.version);
    const lineage = await this.lineage(key, input, mayRead);
    const repository = assetRepository(key.registry, key.kind, key.name);
    await this.checkFiles(repository, input);
    const createdAt = new Date();
    const built = buildArtifact({ ...key, ...input, createdAt });
    await this.storeConfig(repository, built.config);
    await this.distribution.manifests.put(repository, input.version, built.manifest, ociManifest, {
      within: async (tx, put) => {
        const recorded = await recordVersion(
          tx,
          {
            key,
            version: input.version,
            digest: put.digest,
            format: 'arca',
            description: input.description,
            tags: input.tags,
            properties: input.properties,
            type: input.type,
            card: input.card,
            spec: input.spec,
            flags: [],
            files: input.files.map((f, i) => ({ ...f, mediaType: built.mediaTypes[i]! })),
            lineage,
            by,
            now: createdAt.getTime(),
          },
          this.observers,
        );
        // A concurrent publish of the same version won: roll the manifest and tag back too.
        if (!recorded) throw exists(key, input.version);
      },
    });
  }

  /** Each lineage address must name a published version in a registry the caller may read. */
  private async lineage(key: AssetKey, input: PublishInput, mayRead: MayRead): Promise<VersionKey[]> {
    const out: VersionKey[] = [];
    for (const [i, address] of input.lineage.entries()) {
      let resolved: Awaited<ReturnType<VersionService['resolve']>>;
      try {
        resolved = await this.versions.resolve(address, { registry: key.registry, kind: key.kind });
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        throw new AppError(
          'ASSET_LINEAGE_INVALID',
          `lineage[${i}] '${address.slice(0, 200)}': ${err.message}`,
        );
      }
      if (!(await mayRead(resolved.location))) {
        // Worded as for a version that does not exist: a link must not tell what the caller cannot read.
        throw new AppError(
          'ASSET_LINEAGE_INVALID',
          `lineage[${i}] '${address.slice(0, 200)}': no such version, or you may not read its registry`,
        );
      }
      out.push(resolved.key);
    }
    return out;
  }

  private async checkFiles(repository: string, input: PublishInput): Promise<void> {
    for (const f of input.files) {
      let size: number;
      try {
        size = await this.distribution.blobs.stat(repository, f.digest);
      } catch (err) {
        if (err instanceof AppError && err.code === 'BLOB_UNKNOWN') {
          throw new AppError('ASSET_FILE_MISSING', `${f.path}: blob ${f.digest} is not in ${repository}`, {
            path: f.path,
            digest: f.digest,
          });
        }
        throw err;
      }
      if (size !== f.size) {
        throw new AppError(
          'ASSET_FILE_MISSING',
          `${f.path}: blob ${f.digest} has ${size} bytes, not ${f.size}`,
          {
            path: f.path,
            digest: f.digest,
          },
        );
      }
    }
  }

  /** The config blob goes in through the OCI upload path, like any other blob. */
  private async storeConfig(repository: string, config: { bytes: Buffer; digest: string }): Promise<void> {
    try {
      await this.distribution.blobs.stat(repository, config.digest);
      return;
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'BLOB_UNKNOWN')) throw err;
    }
    await this.distribution.uploads.monolithic(
      repository,
      config.digest,
      Readable.from([config.bytes]),
      config.bytes.length,
    );
  }
}
