import { existsSync, readFileSync } from 'node:fs';
import { open, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import type { BlobSource, RemoteFile } from './blob-source.js';
import { checkFilePaths } from './file-path.js';
import { hashFile } from './hash-file.js';
import { OrderedHash } from './ordered-hash.js';
import { runPool } from './pool.js';
import { BufferPool, RangeWriter } from './range-writer.js';
import { safeTarget } from './safe-target.js';
import { TransferError } from './transfer-http.js';
import type { TransferProgress } from './transfer-progress.js';

export const defaultSegmentSize = 32 * 1024 * 1024;
const maxAttempts = 5;

export interface PullOptions {
  root: string;
  source: BlobSource;
  progress: TransferProgress;
  /** Range requests in flight at once, over all files. */
  parallel: number;
  /** Files larger than this come in several ranges of this size, in parallel. */
  segmentSize?: number;
  signal: AbortSignal;
}

export interface PullResult {
  bytesReceived: number;
  /** Files already in place with the right digest. */
  alreadyThere: number;
}

/** What `<file>.part.json` keeps beside a partial file: which ranges are written. */
interface PartState {
  digest: string;
  size: number;
  segment: number;
  done: number[];
}

interface Pending {
  file: RemoteFile;
  target: string;
  state: PartState;
  left: Set<number>;
  hash: OrderedHash;
  handle?: Promise<FileHandle>;
  /** Writes of `<file>.part.json`, one after the other. */
  saving?: Promise<void>;
  /** Verified and named (or refused). */
  finished?: boolean;
}

function readPart(target: string, file: RemoteFile, segment: number): PartState | undefined {
  try {
    const state = JSON.parse(readFileSync(`${target}.part.json`, 'utf8')) as PartState;
    const same = state.digest === file.digest && state.size === file.size && state.segment === segment;
    return same && existsSync(`${target}.part`) ? state : undefined;
  } catch {
    return undefined;
  }
}

async function savePart(target: string, state: PartState): Promise<void> {
  await writeFile(`${target}.part.json.tmp`, JSON.stringify(state));
  await rename(`${target}.part.json.tmp`, `${target}.part.json`);
}

/**
 * Fetch the files of a version into `root`: every path is checked before anything is written, files
 * already there with the right sha256 are kept, and the rest come as ranges written in place into
 * `<file>.part` (network chunks gathered into large writes), with the finished ranges listed in
 * `<file>.part.json`, so a run stopped at any point continues with the ranges missing. Each file is
 * hashed in order as its ranges arrive (`OrderedHash`) and verified by its sha256 before it takes
 * its name; a mismatch removes the partial file and fails. A broken answer is asked again from the
 * byte it stopped at.
 */
export async function pullFiles(
  listed: readonly (Omit<RemoteFile, 'path'> & { path: string | null })[],
  opts: PullOptions,
): Promise<PullResult> {
  checkFilePaths(
    listed.map((f) => f.path),
    'the version',
  );
  const files = listed as readonly RemoteFile[];
  const segment = opts.segmentSize ?? defaultSegmentSize;
  const { progress, signal } = opts;
  let bytesReceived = 0;
  let alreadyThere = 0;
  progress.start(
    files.reduce((sum, f) => sum + f.size, 0),
    files.length,
  );
  const pending: Pending[] = [];
  const buffers = new BufferPool();
  const close = async (p: Pending) => {
    const handle = p.handle;
    p.handle = undefined;
    if (handle) await (await handle).close();
  };
  const handleOf = (p: Pending) => (p.handle ??= open(`${p.target}.part`, 'r+'));
  try {
    for (const file of files) {
      const target = await safeTarget(opts.root, file.path);
      const existing = await stat(target).catch(() => undefined);
      if (existing?.size === file.size && (await hashFile(target, undefined, signal)) === file.digest) {
        alreadyThere++;
        progress.add(file.size);
        progress.file(file.path, 'already there');
        continue;
      }
      const count = Math.max(1, Math.ceil(file.size / segment));
      const state = readPart(target, file, segment) ?? {
        digest: file.digest,
        size: file.size,
        segment,
        done: [],
      };
      if (state.done.length === 0) await writeFile(`${target}.part`, '');
      const left = new Set(Array.from({ length: count }, (_, i) => i).filter((i) => !state.done.includes(i)));
      for (const i of state.done) progress.add(Math.min(segment, file.size - i * segment));
      const p: Pending = { file, target, state, left } as Pending;
      // Range i is finished once it has left `left`; read back through the file's one handle.
      p.hash = new OrderedHash(
        file.size,
        segment,
        (i) => !left.has(i),
        () => handleOf(p),
      );
      pending.push(p);
    }
    // Files taken in turn, `parallel` files at a time (the first range of each, then the second…):
    // several files come at once, each mostly in order, so most bytes are hashed as they arrive
    // rather than read back, and no more files are open at once than there are ranges in flight.
    const tasks = pending
      .flatMap((p, n) =>
        [...p.left]
          .sort((a, b) => a - b)
          .map((index, turn) => ({ p, index, turn, group: Math.floor(n / opts.parallel) })),
      )
      .sort((a, b) => a.group - b.group || a.turn - b.turn);
    /** Hash what is finished in order; once the whole file is, verify it and give it its name. */
    const advance = async (p: Pending) => {
      await p.hash.catchUp();
      if (p.left.size > 0 || !p.hash.complete || p.finished) return;
      p.finished = true;
      // The last range's record may still be on its way: it must not outlive the file's naming.
      await p.saving;
      await close(p);
      const digest = p.hash.digest();
      if (digest !== p.file.digest) {
        await rm(`${p.target}.part`, { force: true });
        await rm(`${p.target}.part.json`, { force: true });
        throw new Error(
          `${p.file.path}: sha256 mismatch (expected ${p.file.digest}, got ${digest}); removed, run again`,
        );
      }
      await rename(`${p.target}.part`, p.target);
      await rm(`${p.target}.part.json`, { force: true });
      progress.file(p.file.path, 'verified');
    };
    // Ranges a previous run finished: hashed now, and a file that was complete is named.
    for (const p of pending) await advance(p);
    await runPool(tasks, opts.parallel, async ({ p, index }) => {
      const start = index * segment;
      const end = Math.min(start + segment, p.file.size) - 1;
      if (end >= start) {
        const writer = new RangeWriter(await handleOf(p), start, buffers, (bytes, position) => {
          p.hash.offer(bytes, position);
          bytesReceived += bytes.length;
          progress.add(bytes.length);
        });
        try {
          for (let attempt = 1; ; attempt++) {
            try {
              for await (const chunk of await opts.source.read(p.file, writer.next, end, signal)) {
                if (writer.next + chunk.length > end + 1)
                  throw new Error(`${p.file.path}: the server sent too many bytes`);
                await writer.push(chunk);
              }
              if (writer.next !== end + 1) throw new Error(`${p.file.path}: the answer ended early`);
              await writer.flush();
              await writer.settle();
              break;
            } catch (err) {
              // What came before the break is kept (the sha256 judges it with the rest) and the
              // range is asked again from the next byte; a failed write ends the pull.
              await writer.flush();
              await writer.settle();
              const final = err instanceof TransferError && !err.retryable;
              if (signal.aborted || final || attempt >= maxAttempts) throw err;
              if (writer.next > end) break; // every byte had come before the break
            }
          }
        } finally {
          await writer.settle().catch(() => undefined);
          writer.release();
        }
      }
      p.state.done.push(index);
      p.left.delete(index);
      p.saving = (p.saving ?? Promise.resolve()).then(() => savePart(p.target, p.state));
      await p.saving;
      await advance(p);
    });
  } finally {
    progress.stop();
    await Promise.allSettled(pending.map(close));
  }
  return { bytesReceived, alreadyThere };
}
