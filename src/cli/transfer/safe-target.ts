import { lstat, mkdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { filePathProblem } from '../../assets/index.js';

/**
 * Where a file of a version goes under `root`, checked again here whatever the server said: the
 * path must pass the version rules, land inside `root`, and no folder on the way may be a symbolic
 * link (one planted in the target could send the write elsewhere). Missing folders are created.
 */
export async function safeTarget(root: string, path: string): Promise<string> {
  const problem = filePathProblem(path);
  if (problem) throw new Error(`refusing to write ${JSON.stringify(path)}: ${problem}`);
  const base = resolve(root);
  const target = resolve(base, ...path.split('/'));
  if (!target.startsWith(base + sep))
    throw new Error(`refusing to write ${JSON.stringify(path)}: outside ${root}`);
  const parts = path.split('/');
  let folder = base;
  for (const part of parts.slice(0, -1)) {
    folder = join(folder, part);
    const info = await lstat(folder).catch(() => undefined);
    if (info === undefined) await mkdir(folder);
    else if (info.isSymbolicLink() || !info.isDirectory())
      throw new Error(`refusing to write ${JSON.stringify(path)}: ${folder} is not a plain folder`);
  }
  for (const file of [target, `${target}.part`, `${target}.part.json`]) {
    const info = await lstat(file).catch(() => undefined);
    if (info && !info.isFile())
      throw new Error(`refusing to write ${JSON.stringify(path)}: ${file} is not a plain file`);
  }
  return target;
}
