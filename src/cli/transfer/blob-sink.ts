/** One file to store as a blob, hashed already. */
export interface BlobJob {
  source: string;
  size: number;
  digest: string;
  /** The session a previous run left open for this file, if any. */
  session?: string;
  /** Remember a session (or forget it: undefined), so a later run can continue it. */
  saveSession(session: string | undefined): void;
  /** Bytes moved (negative when a chunk in flight failed and will be sent again). */
  onBytes(n: number): void;
  /** Bytes an earlier run had sent to the session being continued. */
  onResumed(n: number): void;
  signal: AbortSignal;
}

/**
 * Where a push sends blobs. The registry's `/v2` upload sessions now; direct-to-bucket presigned
 * multipart uploads, issued and verified by the server, are another implementation of the same two
 * calls, so the push engine and its resume state do not change with them.
 */
export interface BlobSink {
  /** Whether the repository holds the blob already (then nothing is sent). */
  has(digest: string): Promise<boolean>;
  /** Send the file (continuing `job.session` when the server still has it) and commit it by digest. */
  upload(job: BlobJob): Promise<void>;
}
