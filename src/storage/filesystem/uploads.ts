import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { UploadStore } from '../driver.js';
import { StorageConflict, StorageNotFound } from '../errors.js';
import { isAbsent, readFile, WRITE_BUFFER } from './files.js';

/** Uploads as files `_uploads/<key>` under the root, appended to in place and renamed on commit. */
export class FilesystemUploads implements UploadStore {
  private readonly dir: string;

  constructor(private readonly root: string) {
    this.dir = join(root, '_uploads');
  }

  private file(key: string): string {
    return join(this.dir, key);
  }

  async start(key: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // 'a': created when absent, an existing upload keeps its bytes.
    const handle = await open(this.file(key), 'a');
    await handle.close();
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.file(key))).size;
    } catch (err) {
      if (isAbsent(err)) return null;
      throw err;
    }
  }

  async append(key: string, offset: number, data: Readable): Promise<number> {
    const size = await this.size(key);
    if (size === null) throw new StorageNotFound(key);
    if (size !== offset) throw new StorageConflict(`upload ${key} is at ${size}, not ${offset}`);
    const out = createWriteStream(this.file(key), { flags: 'a', highWaterMark: WRITE_BUFFER });
    try {
      await pipeline(data, out);
    } finally {
      // A body that broke off may leave a write in flight: the upload is settled (and the caller's
      // lock released) only once the file is closed, or a resumed append could land under it.
      if (!out.closed) {
        const closed = once(out, 'close').catch(() => undefined);
        out.destroy();
        await closed;
      }
    }
    return offset + out.bytesWritten;
  }

  read(key: string): Promise<Readable> {
    return readFile(this.file(key));
  }

  async commit(key: string, path: string): Promise<void> {
    const target = join(this.root, path);
    await mkdir(dirname(target), { recursive: true });
    // rename(2) is atomic within one filesystem: the blob appears whole or not at all.
    await rename(this.file(key), target);
  }

  async abort(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async *list(): AsyncIterable<{ key: string; modified: Date }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (isAbsent(err)) return;
      throw err;
    }
    for (const name of names) {
      try {
        const s = await stat(join(this.dir, name));
        if (s.isFile()) yield { key: name, modified: s.mtime };
      } catch (err) {
        if (!isAbsent(err)) throw err;
      }
    }
  }
}
