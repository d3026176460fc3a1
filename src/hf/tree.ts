import type { FileView } from '../assets/index.js';
import { folderOid, hexOf } from './repo-id.js';

/** What a Git LFS pointer file of a Hub repository weighs (the Hub reports it beside each object). */
const pointerSize = 134;

export interface LastCommit {
  id: string;
  title: string;
  date: string;
}

/** An entry of the Hub's tree listing and paths-info. */
export type TreeEntry =
  | {
      type: 'file';
      path: string;
      size: number;
      oid: string;
      lfs: { oid: string; size: number; pointerSize: number };
      lastCommit?: LastCommit;
    }
  | { type: 'directory'; path: string; size: 0; oid: string; lastCommit?: LastCommit };

/** The files of a version by path: every Arca file is content-addressed, so every file is an LFS object. */
export class Tree {
  private readonly files = new Map<string, FileView>();
  private readonly folders = new Set<string>();

  constructor(
    files: readonly FileView[],
    private readonly commit: string,
    private readonly last?: LastCommit,
  ) {
    for (const file of files) {
      if (file.path === null) continue;
      this.files.set(file.path, file);
      const parts = file.path.split('/');
      for (let i = 1; i < parts.length; i++) this.folders.add(parts.slice(0, i).join('/'));
    }
  }

  file(path: string): FileView | undefined {
    return this.files.get(path);
  }

  isFolder(path: string): boolean {
    return path === '' || this.folders.has(path);
  }

  /** The entry at `path` (a file or a folder), or undefined. */
  entry(path: string): TreeEntry | undefined {
    const file = this.files.get(path);
    if (file) return this.fileEntry(path, file);
    if (this.folders.has(path)) return this.folderEntry(path);
    return undefined;
  }

  /**
   * What lies under the folder `base` ('' for the root), in path order: its children, or with
   * `recursive` every file and folder below it.
   */
  list(base: string, recursive: boolean): TreeEntry[] {
    const prefix = base === '' ? '' : `${base}/`;
    const below = (path: string) =>
      path.startsWith(prefix) && (recursive || !path.slice(prefix.length).includes('/'));
    const out: TreeEntry[] = [];
    for (const folder of this.folders) if (below(folder)) out.push(this.folderEntry(folder));
    for (const [path, file] of this.files) if (below(path)) out.push(this.fileEntry(path, file));
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private fileEntry(path: string, file: FileView): TreeEntry {
    const sha = hexOf(file.digest);
    return {
      type: 'file',
      path,
      size: file.size,
      oid: sha.slice(0, 40),
      lfs: { oid: sha, size: file.size, pointerSize },
      ...(this.last ? { lastCommit: this.last } : {}),
    };
  }

  private folderEntry(path: string): TreeEntry {
    return {
      type: 'directory',
      path,
      size: 0,
      oid: folderOid(this.commit, path),
      ...(this.last ? { lastCommit: this.last } : {}),
    };
  }
}
