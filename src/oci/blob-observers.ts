import type { Executor } from '../db/index.js';

/** A blob made visible in a repository: uploaded (`upload`), mounted from another (`mount`), or adopted (an import). */
export interface BlobLink {
  repository: string;
  digest: string;
  size: number;
  /** The location holding the bytes. */
  location: string;
  via: 'upload' | 'mount' | 'adopt';
  /** The repository mounted from. */
  from?: string;
}

export interface BlobRemoval {
  repository: string;
  digest: string;
}

/** A blob read by a client (a /v2 GET). */
export interface BlobPull {
  repository: string;
  digest: string;
  size: number;
}

/**
 * What other rooms learn of blob links, removals and pulls (notifications; replication owes copies
 * from `inLink`). `inLink` runs inside the linking transaction: rows it writes commit with the link.
 */
export interface BlobObserver {
  inLink?(tx: Executor, link: BlobLink): Promise<void>;
  afterLink?(link: BlobLink): Promise<void>;
  afterDelete?(removal: BlobRemoval): Promise<void>;
  afterPull?(pull: BlobPull): Promise<void>;
}

/** The observers of one `Distribution`'s blobs, shared by its services; called in the order added. */
export class BlobObservers implements Required<BlobObserver> {
  private readonly list: BlobObserver[] = [];

  add(observer: BlobObserver): void {
    this.list.push(observer);
  }

  async inLink(tx: Executor, link: BlobLink): Promise<void> {
    for (const o of this.list) await o.inLink?.(tx, link);
  }

  async afterLink(link: BlobLink): Promise<void> {
    for (const o of this.list) await o.afterLink?.(link);
  }

  async afterDelete(removal: BlobRemoval): Promise<void> {
    for (const o of this.list) await o.afterDelete?.(removal);
  }

  async afterPull(pull: BlobPull): Promise<void> {
    for (const o of this.list) await o.afterPull?.(pull);
  }
}
