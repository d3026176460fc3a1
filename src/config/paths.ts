import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ArcaConfig } from './arca-config.js';
import { sqliteFileOf } from './sqlite-file.js';

/**
 * What a configured path must be: a file that exists (certificates, keys), a file Arca creates
 * when it is missing (the htpasswd file, the SQLite database), or a directory Arca creates when it
 * is missing (data and storage roots).
 */
type PathKind = 'file' | 'file-or-created' | 'directory-or-created';

interface NamedPath {
  /** The dotted key that names it, as messages show it. */
  key: string;
  path: string;
  kind: PathKind;
  /** Said after the problem: what the key is for. */
  hint?: string;
  /**
   * A location's storage: a broken one makes its registries show Error with the reason (probed
   * by the registries room) while the rest serve, so it warns instead of stopping start-up.
   */
  warnOnly?: boolean;
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The closest ancestor that exists; a missing path is created under it. */
function existingAncestor(path: string): { path: string; stats: Stats } | undefined {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const stats = statOf(dir);
    if (stats) return { path: dir, stats };
    if (dirname(dir) === dir) return undefined;
  }
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function problemOf({ path: written, kind }: NamedPath): string | undefined {
  const path = resolve(written);
  const stats = statOf(path);
  const wantsFile = kind !== 'directory-or-created';
  if (stats) {
    if (wantsFile && stats.isDirectory()) return `${written} is a directory, not a file`;
    if (wantsFile && !stats.isFile()) return `${written} is not a regular file`;
    if (!wantsFile && !stats.isDirectory()) return `${written} is not a directory`;
    if (!readable(path)) return `${written} is not readable by this process`;
    return undefined;
  }
  if (kind === 'file') return `${written} does not exist`;
  const ancestor = existingAncestor(path);
  if (ancestor && !ancestor.stats.isDirectory()) {
    return `${written} cannot be created: ${ancestor.path} is not a directory`;
  }
  return undefined;
}

/** The paths a configuration names, each with what it must be. */
function namedPaths(config: ArcaConfig): NamedPath[] {
  const paths: NamedPath[] = [{ key: 'datadir', path: config.datadir, kind: 'directory-or-created' }];
  if (config.storage.driver === 'filesystem') {
    const path = config.storage.filesystem.rootdirectory;
    paths.push({ key: 'storage.filesystem.rootdirectory', path, kind: 'directory-or-created' });
  }
  for (const [name, location] of Object.entries(config.locations)) {
    const path = location.storage.filesystem?.rootdirectory;
    if (path !== undefined) {
      const key = `locations.${name}.storage.filesystem.rootdirectory`;
      paths.push({ key, path, kind: 'directory-or-created', warnOnly: true });
    }
  }
  const database = sqliteFileOf(config.database.url);
  if (database !== null) paths.push({ key: 'database.url', path: database, kind: 'file-or-created' });
  if (config.http.tls) {
    paths.push({ key: 'http.tls.certificate', path: config.http.tls.certificate, kind: 'file' });
    paths.push({ key: 'http.tls.key', path: config.http.tls.key, kind: 'file' });
  }
  const auth = config.auth;
  if (auth.kind === 'htpasswd') {
    paths.push({
      key: 'auth.htpasswd.path',
      path: auth.path,
      kind: 'file-or-created',
      hint: 'it names the htpasswd file of bcrypt users (created with a generated user when missing)',
    });
  }
  if (auth.kind === 'token') {
    if (auth.rootcertbundle !== undefined) {
      paths.push({ key: 'auth.token.rootcertbundle', path: auth.rootcertbundle, kind: 'file' });
    }
    if (auth.jwks !== undefined) paths.push({ key: 'auth.token.jwks', path: auth.jwks, kind: 'file' });
  }
  return paths;
}

/**
 * One line per configured path that is not what its key needs (a directory where a file is read,
 * a certificate that does not exist, a storage root that is a file), as `config: <key>: <problem>`:
 * `errors` stop start-up, `warnings` do not. `label` turns a key into how messages show it (with
 * the variable that set it). Run by `config validate` and before the server starts, so a wrong
 * path is named instead of failing later with a bare EISDIR or ENOENT.
 */
export function pathProblems(
  config: ArcaConfig,
  label: (key: string) => string = (k) => k,
): { errors: string[]; warnings: string[] } {
  const found = { errors: [] as string[], warnings: [] as string[] };
  for (const named of namedPaths(config)) {
    const problem = problemOf(named);
    if (problem === undefined) continue;
    const line = `config: ${label(named.key)}: ${problem}${named.hint ? `; ${named.hint}` : ''}`;
    (named.warnOnly ? found.warnings : found.errors).push(line);
  }
  return found;
}
