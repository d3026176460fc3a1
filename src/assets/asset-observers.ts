import type { Executor } from '../db/index.js';
import type { AssetKind } from './kinds.js';

/** A version that became visible: published through the API or recognized in a push. */
export interface PublishedVersion {
  registry: string;
  kind: AssetKind;
  name: string;
  version: string;
  /** The repository and manifest that carry it. */
  repository: string;
  digest: string;
  format: string;
}

/** What other rooms learn of versions (notifications); `inPublished` runs in the transaction that records one. */
export interface AssetObserver {
  inPublished?(tx: Executor, version: PublishedVersion): Promise<void>;
}

/** The observers of the assets room, called in the order added. */
export class AssetObservers {
  private readonly list: AssetObserver[] = [];

  add(observer: AssetObserver): void {
    this.list.push(observer);
  }

  async inPublished(tx: Executor, version: PublishedVersion): Promise<void> {
    for (const o of this.list) await o.inPublished?.(tx, version);
  }
}
