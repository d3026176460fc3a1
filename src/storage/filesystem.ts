import { createReadStream, createWriteStream, open as openCallback } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { checkPath, StorageConflict, StorageNotFound, type ByteRange, type StorageDriver } from './driver.js';

/** Reads in large chunks (fewer syscalls for pulls); writes buffer little, so many concurrent uploads stay small. */
const readBuffer = 1 << 20;
const writeBuffer = 256 * 1024;

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/**
 * A plain descriptor, not a FileHandle: a stream over a numeric fd reads with callbacks, without a
 * promise per chunk, which shows on a pull's profile.
 */
function openForReading(file: string, path: string): Promise<number> {
  return new Promise((resolve, reject) =>
    openCallback(file, 'r', (err, fd) => {
      if (err) reject(isNotFound(err) ? new StorageNotFound(path) : err);
      else resolve(fd);
    }),
  );
}

/** Blobs as files under a root directory; uploads as files under `_uploads/`. */
export class FilesystemDriver implements StorageDriver {
  readonly kind = 'filesystem' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  private full(path: string): string {
    return join(this.root, checkPath(path));
  }

  private uploadPath(key: string): string {
    return join(this.root, '_uploads', checkPath(key));
  }

  async stat(path: string): Promise<{ size: number } | null> {
    try {
      const s = await stat(this.full(path));
      return s.isFile() ? { size: s.size } : null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async read(path: string, range?: ByteRange): Promise<Readable> {
    const file = this.full(path);
    // Open first so a missing file is an error here, not an 'error' event after headers went out.
    const fd = await openForReading(file, path);
    return createReadStream('', {
      fd,
      start: range?.start,
      end: range?.end,
      highWaterMark: readBuffer,
    });
  }

  /** The descriptor a blob GET sends from, through reused buffers (`src/http/send-file.ts`). */
  open(path: string): Promise<number> {
    return openForReading(this.full(path), path);
  }

  async put(path: string, data: Readable | Buffer): Promise<void> {
    const file = this.full(path);
    const temp = `${file}.${randomUUID()}.tmp`;
    await mkdir(dirname(file), { recursive: true });
    try {
      await pipeline(
        Buffer.isBuffer(data) ? Readable.from([data]) : data,
        createWriteStream(temp, { highWaterMark: writeBuffer }),
      );
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async delete(path: string): Promise<void> {
    await rm(this.full(path), { force: true });
  }

  async *list(prefix: string): AsyncIterable<string> {
    const base = this.full(prefix);
    let entries;
    try {
      entries = await readdir(base, { recursive: true, withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const e of entries) {
      if (!e.isFile()) continue;
      const rel = join(e.parentPath, e.name).slice(this.root.length + 1);
      yield rel.split('\\').join('/');
    }
  }

  async startUpload(key: string): Promise<void> {
    const file = this.uploadPath(key);
    await mkdir(dirname(file), { recursive: true });
    const handle = await open(file, 'wx');
    await handle.close();
  }

  async uploadSize(key: string): Promise<number | null> {
    try {
      return (await stat(this.uploadPath(key))).size;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async appendUpload(key: string, offset: number, data: Readable): Promise<number> {
    const file = this.uploadPath(key);
    const size = await this.uploadSize(key);
    if (size === null) throw new StorageNotFound(key);
    if (size !== offset) throw new StorageConflict(`upload ${key} is at ${size}, not ${offset}`);
    const out = createWriteStream(file, { flags: 'a', highWaterMark: writeBuffer });
    try {
      await pipeline(data, out);
    } finally {
      out.destroy();
    }
    return offset + out.bytesWritten;
  }

  async readUpload(key: string): Promise<Readable> {
    const fd = await openForReading(this.uploadPath(key), key);
    return createReadStream('', { fd, highWaterMark: readBuffer });
  }

  async commitUpload(key: string, path: string): Promise<void> {
    const target = this.full(path);
    await mkdir(dirname(target), { recursive: true });
    // rename(2) is atomic within one filesystem: the blob appears whole or not at all.
    await rename(this.uploadPath(key), target);
  }

  async abortUpload(key: string): Promise<void> {
    await rm(this.uploadPath(key), { force: true });
  }

  async *listUploads(): AsyncIterable<{ key: string; modified: Date }> {
    const dir = join(this.root, '_uploads');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const name of names) {
      try {
        const s = await stat(join(dir, name));
        yield { key: name, modified: s.mtime };
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const probe = join(this.root, `.ping-${randomUUID()}`);
    const handle = await open(probe, 'w');
    await handle.close();
    await rm(probe, { force: true });
  }
}
