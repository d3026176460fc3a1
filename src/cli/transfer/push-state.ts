import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What a push remembers of one file between runs. */
export interface FileProgress {
  size: number;
  mtimeMs: number;
  /** Hashed once: trusted again while size and modification time stay the same. */
  digest?: string;
  /** The upload session the file's chunks go to (the server keeps it). */
  upload?: string;
  /** The registry holds the blob: never sent again. */
  done?: boolean;
}

interface StateFile {
  key: string[];
  files: Record<string, FileProgress>;
}

/** `$XDG_CACHE_HOME/arca/transfers` (default `~/.cache/arca/transfers`). */
export function transferStateDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'arca', 'transfers');
}

/**
 * The resume state of one push, a small JSON file keyed by server, repository, version and source
 * folder, rewritten atomically (a temporary file renamed over it) after each change, so a push
 * killed at any moment finds what it had finished and the sessions it had open.
 */
export class PushState {
  private readonly data: StateFile;
  /** Whether a previous run of the same push left this state. */
  readonly exists: boolean;

  private constructor(
    readonly file: string,
    key: string[],
  ) {
    this.data = { key, files: {} };
    this.exists = false;
    if (!existsSync(file)) return;
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
      if (JSON.stringify(stored.key) === JSON.stringify(key)) {
        this.data.files = stored.files ?? {};
        this.exists = true;
      }
    } catch {
      // A state file cut short is only lost work: hashing and sending start over.
    }
  }

  static open(key: string[]): PushState {
    const id = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 32);
    return new PushState(join(transferStateDir(), `push-${id}.json`), key);
  }

  /** What is known of a file, if it is still the same file (same size and modification time). */
  get(path: string, size: number, mtimeMs: number): FileProgress {
    const known = this.data.files[path];
    if (known && known.size === size && known.mtimeMs === mtimeMs) return known;
    const fresh = { size, mtimeMs };
    this.data.files[path] = fresh;
    return fresh;
  }

  update(path: string, change: Partial<FileProgress>): void {
    const known = this.data.files[path];
    if (!known) throw new Error(`no state for ${path}`);
    Object.assign(known, change);
    this.save();
  }

  save(): void {
    mkdirSync(transferStateDir(), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /** The push is published: nothing left to resume. */
  remove(): void {
    rmSync(this.file, { force: true });
  }
}
