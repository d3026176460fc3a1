import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createDriver } from '../storage/index.js';
import { driverSource, type SourceTree } from './source.js';

/** A registry:2 tree in a local directory (registry:2's `storage.filesystem.rootdirectory`). */
export async function filesystemSource(root: string): Promise<SourceTree> {
  const dir = resolve(root);
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `source root ${dir} does not exist`
        : `source root ${dir} cannot be read: ${(err as Error).message}`,
    );
  }
  if (!info.isDirectory()) throw new Error(`source root ${dir} is not a directory`);
  // The driver only reads here: stat, list and read open nothing for writing.
  return driverSource(createDriver({ filesystem: { rootdirectory: dir } }), `${dir} (filesystem)`, dir);
}
