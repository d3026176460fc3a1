/** The longest file path a version may hold, in UTF-8 bytes. */
export const maxPathBytes = 1024;

/**
 * Why `path` cannot be a file of a version, or undefined when it can: relative, `/`-separated, no
 * `..` or `.` or empty segment, no leading `/`, no backslash, NUL or control character, at most
 * 1024 bytes. The same rules guard what a pull writes, whatever the server returned.
 */
export function filePathProblem(path: string): string | undefined {
  if (path === '') return 'empty path';
  if (Buffer.byteLength(path, 'utf8') > maxPathBytes) return `longer than ${maxPathBytes} bytes`;
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a NUL or control character';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'absolute';
  for (const segment of path.split('/')) {
    if (segment === '') return 'has an empty segment';
    if (segment === '..') return "has a '..' segment";
    if (segment === '.') return "has a '.' segment";
  }
  return undefined;
}

/** Throw unless every path is valid and unique, and no file is also another one's folder. */
export function checkFilePaths(paths: readonly string[], where: string): void {
  const seen = new Set<string>();
  for (const path of paths) {
    const problem = filePathProblem(path);
    if (problem) throw new Error(`${where}: file path ${JSON.stringify(path)} refused: ${problem}`);
    if (seen.has(path)) throw new Error(`${where}: file path ${JSON.stringify(path)} appears twice`);
    seen.add(path);
  }
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (seen.has(folder))
        throw new Error(`${where}: ${JSON.stringify(folder)} is both a file and the folder of ${path}`);
    }
  }
}
