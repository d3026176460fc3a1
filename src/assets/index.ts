import type { Logger } from 'pino';
import type { MetadataDb } from '../db/index.js';
import type { Distribution } from '../oci/index.js';
import type { AssetRegistries } from './asset-registries.js';
import { AssetService } from './asset-service.js';
import { AssetIndexer } from './indexer.js';
import { Publisher } from './publisher.js';
import { VersionService } from './version-service.js';
import { AssetObservers } from './asset-observers.js';

export type { AssetsTables } from './tables.js';
export type { AssetRegistries } from './asset-registries.js';
export { AssetService } from './asset-service.js';
export { VersionService } from './version-service.js';
export { Publisher, type MayRead } from './publisher.js';
export { AssetIndexer } from './indexer.js';
export { AssetObservers, type AssetObserver, type PublishedVersion } from './asset-observers.js';
export { parseAssetAddress, type AssetAddress } from './addresses.js';
export { parseAssetListQuery, parseLimit } from './asset-list.js';
export { archiveLength, archiveStream } from './archive.js';
export { fileHeader, endOfArchive } from './tar-header.js';
export { filePathProblem, isFilePath } from './file-path.js';
export { checkCard, checkSpec } from './cards.js';
export { parsePublishInput } from './publish-input.js';
export { buildArtifact } from './artifact-builder.js';
export { recognizeVersion, formatOf } from './recognize.js';
export * from './media-types.js';
export {
  assetKinds,
  assetRepository,
  assetUri,
  collectionOf,
  isAssetKind,
  isAssetName,
  isVersion,
  kindOfCollection,
  parseAssetRepository,
  LATEST,
  type AssetKey,
  type AssetKind,
} from './kinds.js';
export type { AssetView, VersionView, FileView, VersionRef } from './views.js';

/** The assets room, assembled over the metadata database and the OCI services. */
export interface Assets {
  assets: AssetService;
  versions: VersionService;
  publisher: Publisher;
  /** Set as the manifest observer at start-up: pushes of any client become versions. */
  indexer: AssetIndexer;
  /** Other rooms (notifications) observe versions published here. */
  observers: AssetObservers;
}

export function openAssets(
  meta: MetadataDb,
  distribution: Distribution,
  registries: AssetRegistries,
  log: Pick<Logger, 'error'>,
): Assets {
  const versions = new VersionService(meta, distribution, registries);
  const observers = new AssetObservers();
  return {
    assets: new AssetService(meta, registries),
    versions,
    publisher: new Publisher(meta, distribution, versions, observers),
    indexer: new AssetIndexer(meta, distribution, registries, log, observers),
    observers,
  };
}
