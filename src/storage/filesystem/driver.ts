import { constants, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ByteRange, StorageBackend } from '../driver.js';
import { isAbsent, openForReading, readFile, WRITE_BUFFER } from './files.js';
import { FilesystemUploads } from './uploads.js';

/**
 * Blobs as files under a root directory; uploads as files under `_uploads/`. Paths come checked
 * (`CheckedStorage`); a missing file is the system's own error, which `errorKind` names.
 */
export class FilesystemDriver implements StorageBackend {
  readonly kind = 'filesystem' as const;
  readonly root: string;
  readonly uploads: FilesystemUploads;

  constructor(root: string) {
    this.root = root;
    this.uploads = new FilesystemUploads(root);
  }

  private full(path: string): string {
    return join(this.root, path);
  }

  async stat(path: string): Promise<{ size: number } | null> {
    try {
      const s = await stat(this.full(path));
      return s.isFile() ? { size: s.size } : null;
    } catch (err) {
      if (isAbsent(err)) return null;
      throw err;
    }
  }

  read(path: string, range?: ByteRange): Promise<Readable> {
    return readFile(this.full(path), range);
  }

  /** The descriptor a blob GET sends from, through reused buffers (`src/http/send-file.ts`). */
  open(path: string): Promise<number> {
    return openForReading(this.full(path));
  }

  put(path: string, data: Readable | Buffer): Promise<void> {
    return this.replace(path, (temp) =>
      pipeline(
        Buffer.isBuffer(data) ? Readable.from([data]) : data,
        createWriteStream(temp, { highWaterMark: WRITE_BUFFER }),
      ),
    );
  }

  async delete(path: string): Promise<void> {
    await rm(this.full(path), { force: true });
  }

  async *list(prefix: string): AsyncIterable<string> {
    let entries;
    try {
      entries = await readdir(this.full(prefix), { recursive: true, withFileTypes: true });
    } catch (err) {
      if (isAbsent(err)) return;
      throw err;
    }
    for (const e of entries) {
      if (!e.isFile()) continue;
      const rel = join(e.parentPath, e.name).slice(this.root.length + 1);
      yield rel.split('\\').join('/');
    }
  }

  /** A copy of the file (a reflink where the filesystem has them), renamed into place. */
  copy(from: string, to: string): Promise<void> {
    const source = this.full(from);
    return this.replace(to, (temp) => copyFile(source, temp, constants.COPYFILE_FICLONE));
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const probe = join(this.root, `.ping-${randomUUID()}`);
    const handle = await open(probe, 'w');
    await handle.close();
    await rm(probe, { force: true });
  }

  errorKind(err: unknown): 'not-found' | undefined {
    return isAbsent(err) ? 'not-found' : undefined;
  }

  /** Write a temporary file beside `path`, then rename it over `path`: whole or not at all. */
  private async replace(path: string, write: (temp: string) => Promise<void>): Promise<void> {
    const file = this.full(path);
    const temp = `${file}.${randomUUID()}.tmp`;
    await mkdir(dirname(file), { recursive: true });
    try {
      await write(temp);
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
