/** A file of a version to fetch. */
export interface RemoteFile {
  path: string;
  size: number;
  digest: string;
}

/**
 * Where a pull reads bytes from: the asset API's file downloads now (which may redirect to the
 * bucket); presigned GETs handed out by the server are another implementation.
 */
export interface BlobSource {
  /** A stream of bytes `start`..`end` (inclusive) of the file. */
  read(file: RemoteFile, start: number, end: number, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}
