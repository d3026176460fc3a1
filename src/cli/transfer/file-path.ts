import { filePathProblem } from '../../assets/index.js';

/** Throw unless every path is valid (the version rules of the assets room) and unique, and no file is also another one's folder. */
export function checkFilePaths(paths: readonly (string | null)[], where: string): asserts paths is string[] {
  const seen = new Set<string>();
  for (const path of paths) {
    // The server lists a layer whose title is no usable path (another tool's artifact) without one.
    if (typeof path !== 'string') throw new Error(`${where}: a file without a usable path: refused`);
    const problem = filePathProblem(path);
    if (problem) throw new Error(`${where}: file path ${JSON.stringify(path)} refused: ${problem}`);
    if (seen.has(path)) throw new Error(`${where}: file path ${JSON.stringify(path)} appears twice`);
    seen.add(path);
  }
  for (const path of paths as string[]) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (seen.has(folder))
        throw new Error(`${where}: ${JSON.stringify(folder)} is both a file and the folder of ${path}`);
    }
  }
}
