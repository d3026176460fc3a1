import { randomUUID, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors/index.js';
import { StorageConflict, StorageNotFound, type UploadStore } from '../storage/index.js';
import type { StoreRouter } from './stores.js';
import type { MetadataDb } from '../db/index.js';
import { assertDigest, newHash, type DigestAlgorithm } from './digest.js';
import { HashTap } from './hash-tap.js';
import type { BlobObservers } from './blob-observers.js';
import { commitStaged, type StagedUpload } from './commit-staged.js';
import { deleteUpload, insertUpload, uploadRepository } from './store/uploads.js';
import { assertUploadRoom, defaultUploadLimits, type UploadLimits } from './upload-limits.js';

/** A chunk's declared position, from Content-Range. */
export interface ChunkRange {
  start: number;
  end: number;
}

/** The running hash of an upload this process has been receiving; a cache, never the truth. */
interface LiveHash {
  offset: number;
  algorithm: DigestAlgorithm;
  hash: Hash;
}

/** The shape of an upload id (a random UUID), checked before any lookup. */
export const uploadIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Blob uploads. Bytes go to the storage driver's resumable upload and are hashed once on the way.
 * The storage holds the offset, so a restarted server (or another replica) continues where the
 * bytes end; it only has to rebuild the hash by reading them back.
 */
export class UploadService {
  private readonly live = new Map<string, LiveHash>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly meta: MetadataDb,
    private readonly stores: StoreRouter,
    private readonly limits: UploadLimits = defaultUploadLimits,
    private readonly observers?: BlobObservers,
  ) {}

  /** The uploads of the backend that holds a repository's bytes. */
  private storage(repository: string): UploadStore {
    return this.stores.storeFor(repository).driver.uploads;
  }

  get inProgress(): number {
    return this.busy.size;
  }

  /**
   * Open an upload session for `openedBy` (`user:<name>` or `address:<ip>`; null for the server's
   * own work, counted only per repository). Beyond the limits it is TOOMANYREQUESTS and nothing is
   * written: sessions are rows and storage that stay until the purge age, so an unbounded number
   * would let any pusher fill both. Counted and recorded in one transaction.
   */
  async start(repository: string, openedBy: string | null = null): Promise<string> {
    const id = randomUUID();
    await this.meta.db.transaction().execute(async (tx) => {
      await assertUploadRoom(tx, this.limits, repository, openedBy);
      await insertUpload(tx, id, repository, Date.now(), openedBy);
    });
    try {
      await this.storage(repository).start(id);
    } catch (err) {
      await deleteUpload(this.meta.db, id);
      throw err;
    }
    return id;
  }

  /** Bytes received so far. */
  async status(repository: string, id: string): Promise<number> {
    await this.owned(repository, id);
    return this.size(this.storage(repository), id);
  }

  async append(
    repository: string,
    id: string,
    body: Readable,
    range?: ChunkRange,
    length?: number,
  ): Promise<number> {
    await this.owned(repository, id);
    const storage = this.storage(repository);
    return this.exclusive(id, () => this.write(storage, id, body, range, length));
  }

  /** Finish an upload with an optional last chunk; verify the digest; make the blob visible. */
  async complete(
    repository: string,
    id: string,
    digest: string,
    body?: Readable,
    range?: ChunkRange,
    length?: number,
  ): Promise<void> {
    assertDigest(digest);
    await this.owned(repository, id);
    const storage = this.storage(repository);
    await this.exclusive(id, async () => {
      if (body) await this.write(storage, id, body, range, length);
      await commitStaged(
        this.meta.db,
        this.stores.storeFor(repository),
        repository,
        this.staged(repository, id),
        digest,
        this.observers,
      );
    });
  }

  /** An upload of this service as the commit step sees it: bytes in the driver's resumable upload. */
  private staged(repository: string, id: string): StagedUpload {
    const storage = this.storage(repository);
    return {
      measure: async (algorithm) => {
        const size = await this.size(storage, id);
        return { size, digest: await this.digestOf(storage, id, size, algorithm) };
      },
      moveTo: (path) => storage.commit(id, path),
      dropBytes: () => storage.abort(id),
      discard: () => this.discard(repository, id),
      forget: (tx) => deleteUpload(tx, id),
    };
  }

  /** A whole blob in one request (POST ?digest=). */
  async monolithic(
    repository: string,
    digest: string,
    body: Readable,
    length?: number,
    openedBy: string | null = null,
  ): Promise<void> {
    assertDigest(digest);
    const id = await this.start(repository, openedBy);
    await this.complete(repository, id, digest, body, undefined, length).catch(async (err: unknown) => {
      await this.discard(repository, id);
      throw err;
    });
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.owned(repository, id);
    await this.discard(repository, id);
  }

  /** Remove an upload's bytes and record. */
  async discard(repository: string, id: string): Promise<void> {
    this.live.delete(id);
    await this.storage(repository).abort(id);
    await deleteUpload(this.meta.db, id);
  }

  private async owned(repository: string, id: string): Promise<void> {
    const owner = uploadIdPattern.test(id) ? await uploadRepository(this.meta.db, id) : undefined;
    if (owner !== repository) throw new AppError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id });
  }

  private async size(storage: UploadStore, id: string): Promise<number> {
    const size = await storage.size(id);
    if (size === null) throw new AppError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id });
    return size;
  }

  /** One request at a time per upload: a second concurrent chunk could only land out of order. */
  private async exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    if (this.busy.has(id)) {
      throw new AppError('BLOB_UPLOAD_RANGE_INVALID', 'another request is writing to this upload', {
        uuid: id,
      });
    }
    this.busy.add(id);
    try {
      return await work();
    } finally {
      this.busy.delete(id);
    }
  }

  private async write(
    storage: UploadStore,
    id: string,
    body: Readable,
    range?: ChunkRange,
    length?: number,
  ): Promise<number> {
    // A chunk that starts where this process stored the last one: the driver checks that offset
    // against storage as it appends (a conflict means the client's range is wrong), so the upload's
    // state is read once per chunk instead of twice (on S3 a listing and a ListParts each time).
    const cached = this.live.get(id);
    const offset =
      range && cached && range.start === cached.offset ? cached.offset : await this.size(storage, id);
    if (range) {
      if (range.start !== offset || range.end < range.start) {
        body.resume();
        throw outOfOrder(offset);
      }
      if (length !== undefined && range.end - range.start + 1 !== length) {
        body.resume();
        throw new AppError('SIZE_INVALID', 'Content-Range does not match Content-Length', { range, length });
      }
    }
    const state = await this.liveHash(storage, id, offset, 'sha256');
    const tap = new HashTap(state.hash);
    // Until the bytes are safely stored, the cached hash may be ahead of storage: drop it.
    this.live.delete(id);
    let newSize: number;
    try {
      const announced = length ?? (range ? range.end - range.start + 1 : undefined);
      newSize = await storage.append(id, offset, pipelineSource(body, tap), announced);
    } catch (err) {
      if (err instanceof StorageConflict) throw outOfOrder(await this.size(storage, id));
      if (err instanceof StorageNotFound) throw new AppError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id });
      throw err;
    }
    if (newSize !== offset + tap.bytes) {
      throw new AppError('BLOB_UPLOAD_INVALID', 'upload was not stored completely', { uuid: id });
    }
    // The bytes are stored: the hash matches them even if the request lied about their length.
    this.live.set(id, { offset: newSize, algorithm: 'sha256', hash: state.hash });
    if (range && tap.bytes !== range.end - range.start + 1) {
      throw new AppError('SIZE_INVALID', 'body length does not match Content-Range', {
        range,
        received: tap.bytes,
      });
    }
    if (length !== undefined && tap.bytes !== length) {
      throw new AppError('SIZE_INVALID', 'body length does not match Content-Length', {
        length,
        received: tap.bytes,
      });
    }
    return newSize;
  }

  /** The running hash at `offset`, from the cache or rebuilt from the stored bytes. */
  private async liveHash(
    storage: UploadStore,
    id: string,
    offset: number,
    algorithm: DigestAlgorithm,
  ): Promise<LiveHash> {
    const cached = this.live.get(id);
    if (cached && cached.offset === offset && cached.algorithm === algorithm) return cached;
    const hash = newHash(algorithm);
    if (offset > 0) {
      const tap = new HashTap(hash);
      await pipeline(await storage.read(id), tap, async function* (source) {
        for await (const _ of source) {
          // drained: the tap did the hashing
        }
      });
      if (tap.bytes !== offset)
        throw new AppError('BLOB_UPLOAD_INVALID', 'upload changed while being read', { uuid: id });
    }
    return { offset, algorithm, hash };
  }

  private async digestOf(
    storage: UploadStore,
    id: string,
    size: number,
    algorithm: DigestAlgorithm,
  ): Promise<string> {
    const state = await this.liveHash(storage, id, size, algorithm);
    this.live.delete(id);
    return `${algorithm}:${state.hash.digest('hex')}`;
  }
}

function outOfOrder(offset: number): AppError {
  return new AppError(
    'BLOB_UPLOAD_RANGE_INVALID',
    'chunk out of order: the upload is at a different offset',
    { offset },
    { headers: { Range: rangeHeader(offset) } },
  );
}

/** The Range header value of an upload with `size` bytes, as registry:2 writes it. */
export function rangeHeader(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

function pipelineSource(body: Readable, tap: HashTap): Readable {
  body.once('error', (err) => tap.destroy(err));
  body.once('aborted', () => tap.destroy(new Error('client aborted the request')));
  return body.pipe(tap);
}
