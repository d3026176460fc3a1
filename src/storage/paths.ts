import { InvalidStoragePath } from './errors.js';

const safeSegment = /^[A-Za-z0-9._-]+$/;

function isSafeSegment(s: string): boolean {
  return safeSegment.test(s) && s !== '.' && s !== '..';
}

/** Refuse anything but plain relative paths: no '..' or '.', no empty or absolute segments, no NUL. */
export function checkPath(path: string): string {
  if (typeof path !== 'string' || !path.split('/').every(isSafeSegment))
    throw new InvalidStoragePath(`storage: invalid path ${JSON.stringify(path)}`);
  return path;
}

/** An upload key is one safe path segment (uploads are listed by their first segment). */
export function checkUploadKey(key: string): string {
  if (typeof key !== 'string' || !isSafeSegment(key))
    throw new InvalidStoragePath(`storage: invalid upload key ${JSON.stringify(key)}`);
  return key;
}
