/** Longest file path in a version, in UTF-8 bytes. */
export const maxFilePathBytes = 1024;

/**
 * Why `path` is not a file path a version may hold, or undefined when it is one: relative,
 * `/`-separated, no `.` or `..` segment, no empty segment, no NUL, control character or backslash,
 * at most 1024 bytes. A path passing this check joined below a directory stays inside it.
 */
export function filePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (Buffer.byteLength(path, 'utf8') > maxFilePathBytes) return `is longer than ${maxFilePathBytes} bytes`;

  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a NUL or control character';
  if (path.includes('\\')) return "contains '\\'";
  if (path.startsWith('/')) return 'is absolute';
  if (/^[A-Za-z]:/.test(path)) return 'names a drive';
  for (const segment of path.split('/')) {
    if (segment === '') return 'has an empty segment';
    if (segment === '..') return "has a '..' segment";
    if (segment === '.') return "has a '.' segment";
  }
  return undefined;
}

export function isFilePath(path: string): boolean {
  return filePathProblem(path) === undefined;
}
