import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { AppError } from '../errors/index.js';

const field = 'backend.filesystem.rootdirectory';

/**
 * A path as the kernel will follow it: `..` removed, then every symbolic link in the part that
 * exists resolved (the realpath of its deepest existing ancestor, with the missing rest appended,
 * which `mkdir -p` will create as plain directories). Undefined when it cannot be resolved (an
 * ancestor unreadable, a link loop).
 */
export function resolveDirectory(path: string): string | undefined {
  let existing = resolve(path);
  const missing: string[] = [];
  for (;;) {
    try {
      return join(realpathSync.native(existing), ...missing.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = dirname(existing);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === existing) return undefined;
      missing.push(basename(existing));
      existing = parent;
    }
  }
}

/** `inner` is `outer` or lies under it (both resolved). */
export function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

/** Two resolved directories overlap when either lies under the other. */
function overlap(a: string, b: string): boolean {
  return within(a, b) || within(b, a);
}

/**
 * Where a registry may keep a filesystem backend of its own: only under the directories the
 * operator allows (`registries.filesystem.allowedroots`), and never over the server's own data or
 * another store. A registry's definition comes from API callers and the server writes where it
 * points (often as root), so the path is resolved before the checks (no `..` or symbolic link leads
 * out), the driver is given the resolved path (what was checked is what is used), and refusals name
 * the rule without echoing resolved host paths.
 */
export class FilesystemRoots {
  private readonly allowed: readonly string[];
  private readonly reserved: readonly string[];

  constructor(
    /** The operator's allowed roots, as configured (named in refusals so callers know the rule). */
    private readonly configured: readonly string[],
    /** The server's own files and stores: signing keys, master key, database, storage, locations. */
    reserved: readonly string[],
  ) {
    this.allowed = configured.map((r) => resolveDirectory(r)).filter((r): r is string => r !== undefined);
    this.reserved = reserved.map((r) => resolveDirectory(r)).filter((r): r is string => r !== undefined);
  }

  /**
   * The resolved directory a backend may use; REGISTRY_INVALID naming the rule otherwise.
   * `others`: the roots other registries' backends use (resolved), which it must not overlap.
   */
  check(rootdirectory: string, others: readonly string[] = []): string {
    if (this.configured.length === 0) {
      throw new AppError(
        'REGISTRY_INVALID',
        `${field}: this server allows no filesystem backends (registries.filesystem.allowedroots is empty); use a configured location or an S3 backend`,
      );
    }
    if (!isAbsolute(rootdirectory)) {
      throw new AppError('REGISTRY_INVALID', `${field}: must be an absolute path`);
    }
    const resolved = resolveDirectory(rootdirectory);
    if (resolved === undefined || !this.allowed.some((root) => within(resolved, root))) {
      throw new AppError(
        'REGISTRY_INVALID',
        `${field}: must lie under one of the directories this server allows for registry backends (${this.configured.join(', ')}), after resolving '..' and symbolic links`,
      );
    }
    if (this.reserved.some((r) => overlap(resolved, r))) {
      throw new AppError(
        'REGISTRY_INVALID',
        `${field}: must not contain or lie inside the server's own data (keys, database, storage, locations)`,
      );
    }
    if (others.some((r) => overlap(resolved, r))) {
      throw new AppError(
        'REGISTRY_INVALID',
        `${field}: must not contain or lie inside another registry's backend`,
      );
    }
    return resolved;
  }
}
