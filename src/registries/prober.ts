import type { RegistryDirectory } from './registry-directory.js';
import type { RegistryRow } from './store.js';

export interface ProbeOutcome {
  state: 'Active' | 'Error';
  reason: string | null;
}

/**
 * Run `work` for at most `ms`: then it fails with a plain reason, and its signal aborts it, so the
 * request behind it ends and releases its socket instead of living on unobserved.
 */
function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: no answer within ${ms} ms`));
      abort.abort();
    }, ms);
  });
  return Promise.race([work(abort.signal), timeout]).finally(() => clearTimeout(timer));
}

/** What a filesystem error means, in words that name no host path. */
const fsProblems: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EEXIST: 'a file is in the way',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'a directory is in the way',
  ENOENT: 'a part of the path does not exist',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
};

/**
 * A probe failure as callers see it. Node's filesystem errors carry the paths involved (`EEXIST:
 * file already exists, mkdir '/etc/shadow'`), facts about the host that whoever reads a registry's
 * state may not own: those become what went wrong, without paths. Other reasons (the drivers' own,
 * timeouts) name only what the registry's definition gave.
 */
export function probeReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.path === 'string' || typeof (e as { dest?: unknown })?.dest === 'string') {
    const problem = (e.code && fsProblems[e.code]) ?? `error ${e.code ?? 'unknown'}`;
    return `the directory cannot be created or written: ${problem}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * A registry is `Active` when every one of its locations answers: the backend is reachable, the
 * bucket exists and the credential is accepted (the driver's ping), and the extra checks pass (an
 * S3 backend's CORS rules). Otherwise `Error`, with the first reason found.
 */
export function registryProber(
  registries: RegistryDirectory,
  timeoutMs: number,
  extraChecks: (
    location: string,
    row: RegistryRow,
    signal: AbortSignal,
  ) => Promise<string | null> = async () => null,
): (row: RegistryRow) => Promise<ProbeOutcome> {
  return async (row) => {
    const locations = [row.primary_location, ...(JSON.parse(row.locations) as string[])];
    for (const location of locations) {
      const driver = registries.driverOf(location);
      const label = location.startsWith('registry:') ? 'backend' : `location ${location}`;
      if (!driver) {
        const why = registries.ownBackendError(row.name_key);
        return {
          state: 'Error',
          reason: why ? `${label}: ${why}` : `${label} is not configured on this server`,
        };
      }
      try {
        await withTimeout((signal) => driver.ping(signal), timeoutMs, label);
        const problem = await withTimeout((signal) => extraChecks(location, row, signal), timeoutMs, label);
        if (problem) return { state: 'Error', reason: `${label}: ${problem}` };
      } catch (err) {
        return { state: 'Error', reason: `${label}: ${probeReason(err)}` };
      }
    }
    return { state: 'Active', reason: null };
  };
}
