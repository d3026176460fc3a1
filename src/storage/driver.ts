import type { Readable } from 'node:stream';
import type { Outbound } from '../net/index.js';

/** A byte range, both ends inclusive, as in HTTP. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Which backend a driver talks to (also the `driver` label of the storage metrics). */
export type StorageKind = 'filesystem' | 's3';

/**
 * Committed objects at paths: relative, '/'-separated, each segment of `[A-Za-z0-9._-]` and neither
 * `.` nor `..` (the storage layer refuses anything else before a backend sees it). Every method
 * streams; none holds a whole object in memory.
 */
export interface ObjectStore {
  /** Size of a committed object, or null when absent. */
  stat(path: string): Promise<{ size: number } | null>;
  /** Stream an object or a range of it; StorageNotFound when absent. */
  read(path: string, range?: ByteRange): Promise<Readable>;
  /**
   * Backends on a local filesystem: a read-only descriptor on a committed object, for callers that
   * move the bytes themselves (and close it); StorageNotFound when absent.
   */
  open?(path: string): Promise<number>;
  /** Write a whole object atomically: a reader sees the old object or the new one, never a part. */
  put(path: string, data: Readable | Buffer): Promise<void>;
  /** Remove an object; one that is absent is no error. */
  delete(path: string): Promise<void>;
  /** The objects under `prefix/`, as paths, in no particular order. */
  list(prefix: string): AsyncIterable<string>;
  /** Copy an object (server-side where the backend can); StorageNotFound when `from` is absent. */
  copy(from: string, to: string): Promise<void>;
  /** A short-lived URL a client may fetch the object from directly, if the backend has one. */
  redirectURL?(path: string): Promise<string | null>;
  /** Object stores: where an object lives (endpoint, bucket, key), for a server-side copy by another driver. */
  objectAddress?(path: string): ObjectAddress;
  /**
   * Object stores: copy another store's object to `to` server-side, when both are on this endpoint;
   * false (nothing done) when they are not. StorageNotFound when the source is absent.
   */
  copyFrom?(source: ObjectAddress, to: string): Promise<boolean>;
}

/** An object of an object store, as another driver of the same endpoint can name it. */
export interface ObjectAddress {
  endpoint: string;
  bucket: string;
  key: string;
}

/**
 * Resumable writes: bytes are appended in order to an upload (a key of one path segment), survive
 * a restart, and become visible at a final path only through `commit`, atomically.
 */
export interface UploadStore {
  /** Create an empty upload; one that exists already keeps its bytes. */
  start(key: string): Promise<void>;
  /** Bytes stored so far, or null when the upload does not exist. */
  size(key: string): Promise<number | null>;
  /**
   * Append a stream at `offset` and resolve to the new size. StorageConflict (nothing written) when
   * `offset` is not the current size, StorageNotFound when the upload does not exist. If the stream
   * fails midway, the bytes that reached storage stay and `size` reports them.
   * `sizeHint`, the length the client announced, may shape how the backend lays the bytes out
   * (object stores: part sizes); it is never trusted for correctness.
   */
  append(key: string, offset: number, data: Readable, sizeHint?: number): Promise<number>;
  /** Stream the bytes of an upload so far (to rebuild a hash after a restart); StorageNotFound when absent. */
  read(key: string): Promise<Readable>;
  /** Make an upload's bytes the object at `path`, atomically; the upload is gone afterwards. */
  commit(key: string, path: string): Promise<void>;
  /** Remove an upload and its bytes; one that is absent is no error. */
  abort(key: string): Promise<void>;
  /** Uploads with their last modification time, for purging stale ones. */
  list(): AsyncIterable<{ key: string; modified: Date }>;
}

/** A part of a multipart upload a client sent straight to the bucket. */
export interface UploadedPart {
  number: number;
  /** Unknown (0) for parts named by a client at completion. */
  size: number;
  etag: string;
}

/** What an object store offers beyond objects and uploads: browsers talking to the bucket directly. */
export interface BucketAdmin {
  /** A short-lived URL a client may PUT an object's bytes to, directly. */
  presignPut(path: string, expiresInSeconds: number): Promise<string>;
  /** Open a multipart upload of the object at `path` (parts sent by a client); its upload id. */
  startMultipart(path: string): Promise<string>;
  /** The id of the multipart upload open at `path` (the newest if several), or null. */
  findMultipart(path: string): Promise<string | null>;
  /** A short-lived URL a client may PUT part `part` (1–10,000) of the upload to, directly. */
  presignPart(path: string, uploadId: string, part: number, expiresInSeconds: number): Promise<string>;
  /** The parts stored so far, in order, or null when the upload is gone. */
  listParts(path: string, uploadId: string): Promise<UploadedPart[] | null>;
  /** Join the parts (each with the ETag its PUT answered) into the object at `path`. */
  completeMultipart(path: string, uploadId: string, parts: UploadedPart[]): Promise<void>;
  /** Drop an open multipart upload and its parts; one already gone is no error. */
  abortMultipart(path: string, uploadId: string): Promise<void>;
  /** Let browsers at `origin` upload and download directly (write the bucket's CORS rules). */
  ensureCors(origin: string, signal?: AbortSignal): Promise<void>;
  /**
   * Null when a browser at `origin` may upload directly, else what is wrong. The preflight goes
   * through `outbound` (the server's bounds and destination policy).
   */
  checkCors(origin: string, outbound: Outbound, signal?: AbortSignal): Promise<string | null>;
}

/**
 * Where blob bytes live, as every caller sees it: objects, uploads, and for object stores the
 * bucket's administration. `createDriver`/`createStorage` return one wrapped in `CheckedStorage`,
 * which checks every path, normalises errors and counts operations, whatever the backend.
 */
export interface StorageDriver extends ObjectStore {
  readonly kind: StorageKind;
  readonly uploads: UploadStore;
  readonly bucket?: BucketAdmin;
  /** Throws if the backend is unreachable or unusable; `signal` cancels it (a probe's timeout). */
  ping(signal?: AbortSignal): Promise<void>;
  /** Release the backend's connections, when it has any. */
  close?(): void;
}

/**
 * What a backend implements: the same contract, with paths already checked. `copy` may be left
 * out (the storage layer then streams the object into a new one), and `errorKind` tells the storage
 * layer which of the backend's own errors mean "not found" or "conflict".
 */
export interface StorageBackend extends Omit<StorageDriver, 'copy'> {
  copy?(from: string, to: string): Promise<void>;
  errorKind?(err: unknown): 'not-found' | 'conflict' | undefined;
}
