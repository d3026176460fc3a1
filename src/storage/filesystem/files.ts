import { createReadStream, open as openCallback } from 'node:fs';
import type { Readable } from 'node:stream';

/** Reads in large chunks (fewer syscalls for pulls); writes buffer little, so many concurrent uploads stay small. */
export const READ_BUFFER = 1 << 20;
export const WRITE_BUFFER = 256 * 1024;

/** An error that means the file is not there (or a path segment above it is a file, not a directory). */
export function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * A plain descriptor, not a FileHandle: a stream over a numeric fd reads with callbacks, without a
 * promise per chunk, which shows on a pull's profile.
 */
export function openForReading(file: string): Promise<number> {
  return new Promise((resolve, reject) =>
    openCallback(file, 'r', (err, fd) => (err ? reject(err) : resolve(fd))),
  );
}

/**
 * A stream of a file or a range of it. The file is opened first, so a missing one is an error
 * here, not an 'error' event after a response's headers went out.
 */
export async function readFile(file: string, range?: { start: number; end: number }): Promise<Readable> {
  const fd = await openForReading(file);
  return createReadStream('', { fd, start: range?.start, end: range?.end, highWaterMark: READ_BUFFER });
}
