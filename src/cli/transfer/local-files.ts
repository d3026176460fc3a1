import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { checkFilePaths } from './file-path.js';

/** A file to send: its path in the version and where it is on this machine. */
export interface LocalFile {
  path: string;
  source: string;
  size: number;
  mtimeMs: number;
}

function inside(root: string, target: string): boolean {
  return target === root || target.startsWith(root + sep);
}

/**
 * Every regular file under `dir`, with `/`-separated paths relative to it, in path order. A symbolic
 * link is followed only to a file inside `dir`; one that leaves it, or names a folder (which could
 * loop), is refused, as are sockets, FIFOs and devices.
 */
export async function walkDir(dir: string, prefix = ''): Promise<LocalFile[]> {
  const root = await realpath(resolve(dir)).catch(() => {
    throw new Error(`${dir}: no such directory`);
  });
  if (!(await stat(root)).isDirectory()) throw new Error(`${dir}: not a directory`);
  const files: LocalFile[] = [];
  async function visit(folder: string): Promise<void> {
    const entries = await readdir(folder);
    for (const name of entries.sort()) {
      const full = join(folder, name);
      const rel = relative(root, full).split(sep).join('/');
      const info = await lstat(full);
      if (info.isDirectory()) {
        await visit(full);
        continue;
      }
      let target = full;
      let fileInfo = info;
      if (info.isSymbolicLink()) {
        target = await realpath(full).catch(() => {
          throw new Error(`${rel}: a symbolic link to nothing`);
        });
        if (!inside(root, target)) throw new Error(`${rel}: a symbolic link that leaves ${dir}: refused`);
        fileInfo = await stat(target);
        if (fileInfo.isDirectory())
          throw new Error(`${rel}: a symbolic link to a folder: refused (link files, or copy the folder)`);
      }
      if (!fileInfo.isFile()) throw new Error(`${rel}: not a regular file`);
      files.push({ path: prefix + rel, source: target, size: fileInfo.size, mtimeMs: fileInfo.mtimeMs });
    }
  }
  await visit(root);
  checkFilePaths(
    files.map((f) => f.path),
    dir,
  );
  return files;
}

/** One file given by itself (an Azure `conda_file`, a model `path` naming a file). */
export async function singleFile(source: string, path: string): Promise<LocalFile> {
  const info = await stat(source).catch(() => {
    throw new Error(`${source}: no such file`);
  });
  if (!info.isFile()) throw new Error(`${source}: not a regular file`);
  return { path, source: resolve(source), size: info.size, mtimeMs: info.mtimeMs };
}
