import type { BlobSink } from './blob-sink.js';
import { hashFile } from './hash-file.js';
import type { LocalFile } from './local-files.js';
import { runPool } from './pool.js';
import type { PushState } from './push-state.js';
import type { TransferProgress } from './transfer-progress.js';

/** A file as the registry now holds it. */
export interface StoredFile {
  path: string;
  size: number;
  digest: string;
}

export interface PushResult {
  files: StoredFile[];
  /** Bytes this run sent (chunks resent after a failure counted again). */
  bytesSent: number;
  /** Files whose blob the registry already had (from an earlier run, or any other push). */
  alreadyThere: number;
}

export interface PushOptions {
  sink: BlobSink;
  state: PushState;
  progress: TransferProgress;
  /** Files sent at the same time. */
  parallel: number;
  signal: AbortSignal;
}

/**
 * Store every file as a blob: hash it once (or take the digest the state remembers for the same
 * size and modification time), skip it when the registry has the digest, otherwise send it through
 * the sink, continuing the session a previous run left.
 */
export async function pushFiles(files: readonly LocalFile[], opts: PushOptions): Promise<PushResult> {
  const { sink, state, progress, signal } = opts;
  const stored = new Map<string, StoredFile>();
  let bytesSent = 0;
  let alreadyThere = 0;
  progress.start(
    files.reduce((sum, f) => sum + f.size, 0),
    files.length,
  );
  try {
    await runPool(files, opts.parallel, async (file) => {
      const known = state.get(file.path, file.size, file.mtimeMs);
      let digest = known.digest;
      if (digest === undefined) {
        digest = await hashFile(file.source, undefined, signal);
        state.update(file.path, { digest });
      }
      // Asked even when the state says done: a blob removed from the registry since is sent again.
      if (!(await sink.has(digest))) {
        let moved = 0;
        await sink.upload({
          source: file.source,
          size: file.size,
          digest,
          session: known.upload,
          saveSession: (upload) => state.update(file.path, { upload }),
          onBytes: (n) => {
            moved += n;
            progress.add(n);
          },
          onResumed: (n) => progress.add(n),
          signal,
        });
        bytesSent += moved;
        state.update(file.path, { done: true, upload: undefined });
        progress.file(file.path, 'sent');
      } else {
        if (!known.done) state.update(file.path, { done: true, upload: undefined });
        alreadyThere++;
        progress.add(file.size);
        progress.file(file.path, 'already there');
      }
      stored.set(file.path, { path: file.path, size: file.size, digest });
    });
  } finally {
    progress.stop();
  }
  return { files: files.map((f) => stored.get(f.path) as StoredFile), bytesSent, alreadyThere };
}
