import type { Readable } from 'node:stream';
import type { Outbound } from '../net/index.js';
import type {
  BucketAdmin,
  ObjectAddress,
  ByteRange,
  StorageBackend,
  StorageDriver,
  StorageKind,
  UploadStore,
} from './driver.js';
import { InvalidStoragePath, StorageConflict, StorageNotFound } from './errors.js';
import { checkPath, checkUploadKey } from './paths.js';
import { StorageMetrics, type StorageOutcome } from './storage-metrics.js';

/** Counts for drivers built without the server's metrics (tools, tests): kept, exposed nowhere. */
const unexposed = new StorageMetrics();

function outcomeOf(err: unknown): StorageOutcome {
  if (err instanceof StorageNotFound) return 'not_found';
  if (err instanceof StorageConflict) return 'conflict';
  if (err instanceof InvalidStoragePath) return 'invalid';
  return 'error';
}

/**
 * The one layer every driver is used through. Each call checks its paths and upload keys before the
 * backend sees them, turns the backend's own "absent" and "conflict" errors into `StorageNotFound`
 * and `StorageConflict` (anything else passes unchanged), and is counted by operation and outcome.
 * Streams are the backend's own, returned as they are: no per-byte work, backpressure intact.
 */
export class CheckedStorage implements StorageDriver {
  readonly kind: StorageKind;
  readonly uploads: UploadStore;
  readonly bucket?: BucketAdmin;
  readonly open?: (path: string) => Promise<number>;
  readonly redirectURL?: (path: string) => Promise<string | null>;
  readonly objectAddress?: (path: string) => ObjectAddress;
  readonly copyFrom?: (source: ObjectAddress, to: string) => Promise<boolean>;

  constructor(
    private readonly backend: StorageBackend,
    private readonly metrics: StorageMetrics = unexposed,
  ) {
    this.kind = backend.kind;
    this.uploads = checkedUploads(this, backend.uploads);
    if (backend.bucket) this.bucket = checkedBucket(this, backend.bucket);
    const { open, redirectURL, objectAddress, copyFrom } = backend;
    if (objectAddress) this.objectAddress = (path) => objectAddress.call(backend, checkPath(path));
    if (copyFrom) {
      this.copyFrom = (source, to) =>
        this.run('copy_from', to, () => copyFrom.call(backend, source, checkPath(to)));
    }
    if (open) this.open = (path) => this.run('open', path, () => open.call(backend, checkPath(path)));
    if (redirectURL) {
      this.redirectURL = (path) =>
        this.run('redirect_url', path, () => redirectURL.call(backend, checkPath(path)));
    }
  }

  stat(path: string): Promise<{ size: number } | null> {
    return this.run('stat', path, () => this.backend.stat(checkPath(path)));
  }

  read(path: string, range?: ByteRange): Promise<Readable> {
    return this.run('read', path, () => this.backend.read(checkPath(path), range));
  }

  put(path: string, data: Readable | Buffer): Promise<void> {
    return this.run('put', path, () => this.backend.put(checkPath(path), data));
  }

  delete(path: string): Promise<void> {
    return this.run('delete', path, () => this.backend.delete(checkPath(path)));
  }

  list(prefix: string): AsyncIterable<string> {
    return this.runEach('list', prefix, () => this.backend.list(checkPath(prefix)));
  }

  /** The backend's copy, or the object streamed into a new one when it has none. */
  copy(from: string, to: string): Promise<void> {
    return this.run('copy', from, async () => {
      checkPath(from);
      checkPath(to);
      if (this.backend.copy) return this.backend.copy(from, to);
      await this.backend.put(to, await this.backend.read(from));
    });
  }

  ping(signal?: AbortSignal): Promise<void> {
    // Its errors say what is wrong in an operator's words: passed on as they are.
    return this.run('ping', '', () => this.backend.ping(signal), false);
  }

  close(): void {
    this.backend.close?.();
  }

  /**
   * Run one operation: normalise its error (about `subject`) and count it. Used by this layer's
   * uploads and bucket parts too; callers use the driver's methods.
   */
  async run<T>(operation: string, subject: string, work: () => Promise<T>, normalise = true): Promise<T> {
    const started = performance.now();
    let outcome: StorageOutcome = 'ok';
    try {
      return await work();
    } catch (err) {
      const thrown = normalise ? this.normalise(err, subject) : err;
      outcome = outcomeOf(thrown);
      throw thrown;
    } finally {
      this.metrics.record(this.kind, operation, outcome, (performance.now() - started) / 1000);
    }
  }

  /** `run` for a listing: counted once, when it ends (or its consumer stops). */
  async *runEach<T>(operation: string, subject: string, source: () => AsyncIterable<T>): AsyncGenerator<T> {
    const started = performance.now();
    let outcome: StorageOutcome = 'ok';
    try {
      yield* source();
    } catch (err) {
      const thrown = this.normalise(err, subject);
      outcome = outcomeOf(thrown);
      throw thrown;
    } finally {
      this.metrics.record(this.kind, operation, outcome, (performance.now() - started) / 1000);
    }
  }

  private normalise(err: unknown, subject: string): unknown {
    if (err instanceof StorageNotFound || err instanceof StorageConflict || err instanceof InvalidStoragePath)
      return err;
    switch (this.backend.errorKind?.(err)) {
      case 'not-found':
        return new StorageNotFound(subject, { cause: err });
      case 'conflict':
        return new StorageConflict(`storage: conflict at ${subject}`, { cause: err });
      default:
        return err;
    }
  }
}

function checkedUploads(layer: CheckedStorage, uploads: UploadStore): UploadStore {
  return {
    start: (key) => layer.run('upload_start', key, () => uploads.start(checkUploadKey(key))),
    size: (key) => layer.run('upload_size', key, () => uploads.size(checkUploadKey(key))),
    append: (key, offset, data, sizeHint) =>
      layer.run('upload_append', key, () => {
        checkUploadKey(key);
        if (!Number.isSafeInteger(offset) || offset < 0)
          throw new InvalidStoragePath(`storage: invalid offset ${offset} for upload ${key}`);
        return uploads.append(key, offset, data, sizeHint);
      }),
    read: (key) => layer.run('upload_read', key, () => uploads.read(checkUploadKey(key))),
    commit: (key, path) =>
      layer.run('upload_commit', key, () => uploads.commit(checkUploadKey(key), checkPath(path))),
    abort: (key) => layer.run('upload_abort', key, () => uploads.abort(checkUploadKey(key))),
    list: () => layer.runEach('upload_list', '_uploads', () => uploads.list()),
  };
}

function checkedBucket(layer: CheckedStorage, bucket: BucketAdmin): BucketAdmin {
  return {
    presignPut: (path, expiresInSeconds) =>
      layer.run('presign_put', path, () => bucket.presignPut(checkPath(path), expiresInSeconds)),
    startMultipart: (path) =>
      layer.run('multipart_start', path, () => bucket.startMultipart(checkPath(path))),
    findMultipart: (path) => layer.run('multipart_find', path, () => bucket.findMultipart(checkPath(path))),
    presignPart: (path, uploadId, part, expiresInSeconds) =>
      layer.run('presign_part', path, () => {
        if (!Number.isInteger(part) || part < 1 || part > 10_000)
          throw new InvalidStoragePath(`storage: invalid part number ${part}`);
        return bucket.presignPart(checkPath(path), uploadId, part, expiresInSeconds);
      }),
    listParts: (path, uploadId) =>
      layer.run('multipart_list_parts', path, () => bucket.listParts(checkPath(path), uploadId)),
    completeMultipart: (path, uploadId, parts) =>
      layer.run('multipart_complete', path, () => bucket.completeMultipart(checkPath(path), uploadId, parts)),
    abortMultipart: (path, uploadId) =>
      layer.run('multipart_abort', path, () => bucket.abortMultipart(checkPath(path), uploadId)),
    ensureCors: (origin, signal) =>
      layer.run('ensure_cors', '', () => bucket.ensureCors(origin, signal), false),
    checkCors: (origin, outbound: Outbound, signal) =>
      layer.run('check_cors', '', () => bucket.checkCors(origin, outbound, signal), false),
  };
}
