import type { Registries } from './directory.js';
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

/**
 * A registry is `Active` when every one of its locations answers: the backend is reachable, the
 * bucket exists and the credential is accepted (the driver's ping), and the extra checks pass (an
 * S3 backend's CORS rules). Otherwise `Error`, with the first reason found.
 */
export function registryProber(
  registries: Registries,
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
        return { state: 'Error', reason: `${label}: ${(err as Error).message}` };
      }
    }
    return { state: 'Active', reason: null };
  };
}
