import type { Outbound } from '../net/index.js';
import type { Readable } from 'node:stream';

/** A byte range, both ends inclusive, as in HTTP. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where blob bytes live. Paths are relative, '/'-separated and validated by the caller
 * (see `checkPath`). Every method streams; none holds a whole object in memory.
 *
 * Uploads are resumable writes: bytes are appended in order to an upload key, survive a
 * restart, and become visible at a final path only through `commitUpload`, atomically.
 */
export interface StorageDriver {
  readonly kind: 'filesystem' | 's3';
  /** Size of a committed object, or null when absent. */
  stat(path: string): Promise<{ size: number } | null>;
  /** Stream an object or a range of it; throws StorageNotFound when absent. */
  read(path: string, range?: ByteRange): Promise<Readable>;
  /**
   * Backends on a local filesystem: a read-only descriptor on a committed object, for callers that
   * move the bytes themselves (and close it); throws StorageNotFound when absent.
   */
  open?(path: string): Promise<number>;
  /** Write a whole object atomically. */
  put(path: string, data: Readable | Buffer): Promise<void>;
  delete(path: string): Promise<void>;
  /** Paths under a prefix, in no particular order. */
  list(prefix: string): AsyncIterable<string>;

  startUpload(key: string): Promise<void>;
  /** Bytes stored so far for an upload, or null when the upload does not exist. */
  uploadSize(key: string): Promise<number | null>;
  /**
   * Append a stream at `offset` (which must equal the current size) and resolve to the new size.
   * If the stream fails midway, the bytes that reached storage stay and `uploadSize` reports them.
   * `sizeHint`, the length the client announced, may shape how the backend lays the bytes out
   * (object stores: part sizes); it is never trusted for correctness.
   */
  appendUpload(key: string, offset: number, data: Readable, sizeHint?: number): Promise<number>;
  /** Stream the bytes of an upload so far (to rebuild a hash after a restart). */
  readUpload(key: string): Promise<Readable>;
  /** Make an upload's bytes the object at `path`, atomically; the upload is gone afterwards. */
  commitUpload(key: string, path: string): Promise<void>;
  abortUpload(key: string): Promise<void>;
  /** Uploads with their last modification time, for purging stale ones. */
  listUploads(): AsyncIterable<{ key: string; modified: Date }>;

  /** A short-lived URL a client may fetch the object from directly, if the backend has one. */
  redirectURL?(path: string): Promise<string | null>;
  /** Throws if the backend is unreachable or unusable; `signal` cancels it (a probe's timeout). */
  ping(signal?: AbortSignal): Promise<void>;

  /** Object stores: a short-lived URL a client may PUT an object's bytes to, directly. */
  presignPut?(path: string, expiresInSeconds: number): Promise<string>;
  /** Copy an object within the backend (server-side where the backend can). */
  copy?(from: string, to: string): Promise<void>;
  /** Object stores: let browsers at `origin` upload and download directly (write the bucket's CORS rules). */
  ensureCors?(origin: string, signal?: AbortSignal): Promise<void>;
  /**
   * Object stores: null when a browser at `origin` may upload directly, else what is wrong. The
   * preflight goes through `outbound` (the server's bounds and destination policy).
   */
  checkCors?(origin: string, outbound: Outbound, signal?: AbortSignal): Promise<string | null>;
}

export class StorageNotFound extends Error {
  constructor(path: string) {
    super(`storage: not found: ${path}`);
    this.name = 'StorageNotFound';
  }
}

export class StorageConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageConflict';
  }
}

const safeSegment = /^[A-Za-z0-9._-]+$/;

/** Refuse anything but plain relative paths: no '..', no empty or absolute segments. */
export function checkPath(path: string): string {
  const segments = path.split('/');
  for (const s of segments) {
    if (!safeSegment.test(s) || s === '.' || s === '..')
      throw new Error(`storage: invalid path ${JSON.stringify(path)}`);
  }
  return path;
}
