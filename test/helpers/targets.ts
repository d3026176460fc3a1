import { startArca } from './arca.js';
import { dialects, type Dialect } from './dialects.js';
import { storages, type StorageKind } from './storages.js';
import type { Credentials } from './htpasswd.js';
import { startRegistry2 } from './registry2.js';
import { readLog, type RunningServer } from './server.js';

/**
 * The registries an integration test can run against: registry:2 (the CNCF reference, to
 * prove a test is right before Arca passes it) and Arca on each metadata dialect.
 */
export interface TargetOptions {
  /** Basic auth with this one user, configured the registry:2 way: `auth.htpasswd` realm `basic-realm`. */
  htpasswd?: Credentials;
}

export interface TargetServer extends RunningServer {
  /** The server's log so far (for failure messages). */
  logs(): string;
}

export interface Target {
  readonly name: string;
  start(opts?: TargetOptions): Promise<TargetServer>;
}

export const registry2Target: Target = {
  name: 'registry2',
  start: async (opts = {}) => {
    const server = await startRegistry2({ htpasswd: opts.htpasswd });
    return Object.assign(server, { logs: () => readLog(server.logPath) });
  },
};

export function arcaTarget(dialect: Dialect, storage: StorageKind = 'filesystem'): Target {
  return {
    name: storage === 'filesystem' ? `arca-${dialect}` : `arca-${dialect}-${storage}`,
    start: async (opts = {}) => {
      // Real clients follow registry:2's default on S3: blob GETs redirect to the bucket.
      const redirect = storage === 's3' ? { storage: { redirect: { disable: false } } } : {};
      return startArca({ dialect, storage, htpasswd: opts.htpasswd, config: redirect });
    },
  };
}

/** Every known target, by name. */
export function allTargets(): Target[] {
  return [
    registry2Target,
    arcaTarget('sqlite'),
    arcaTarget('postgres'),
    arcaTarget('sqlite', 's3'),
    arcaTarget('postgres', 's3'),
  ];
}

/**
 * The targets selected by `ARCA_TEST_TARGETS` (comma-separated names: registry2, arca-sqlite,
 * arca-postgres, arca-sqlite-s3, arca-postgres-s3). Default: Arca on each dialect of `dialects()`
 * (ARCA_TEST_DIALECTS) on the filesystem, and on SQLite with S3 when `storages()` has it.
 */
export function selectedTargets(): Target[] {
  const known = allTargets();
  const raw = process.env.ARCA_TEST_TARGETS?.trim();
  const names = raw
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [
        ...dialects().map((d) => `arca-${d}`),
        ...(storages().includes('s3') && dialects().includes('sqlite') ? ['arca-sqlite-s3'] : []),
      ];
  return names.map((name) => {
    const t = known.find((k) => k.name === name);
    if (!t)
      throw new Error(
        `ARCA_TEST_TARGETS: unknown target ${JSON.stringify(name)} (known: ${known.map((k) => k.name).join(', ')})`,
      );
    return t;
  });
}
