import type { BlobSpec } from '../content.js';
import type { LoadResult } from '../load.js';
import type { ResourceUse } from '../proctree.js';
import type { BenchServer } from '../servers.js';

/** What a run moves and for how long (full and quick mode differ only here). */
export interface Sizes {
  /** Monolithic and chunked pushes: the small and the large blob; pulls use the large one. */
  small: number;
  large: number;
  /** PATCH size of chunked pushes. */
  chunk: number;
  /** Concurrent pushes: how many at once, each of how many bytes. */
  concurrent: number;
  concurrentSize: number;
  /** Manifest PUT, GET, HEAD: seconds each, keep-alive connections. */
  loadSeconds: number;
  connections: number;
  /** Tags in the listed repository, and sequential requests for tag list and catalog. */
  tags: number;
  listRequests: number;
}

/** One number a phase measured. */
export interface Metric {
  /** e.g. "MiB/s", "req/s", "p50 ms". */
  metric: string;
  value: number;
  higherIsBetter: boolean;
}

/** What a phase hands back: its numbers, and errors seen while measuring (each makes the run fail). */
export interface PhaseResult {
  metrics: Metric[];
  errors?: string[];
  details?: Record<string, unknown>;
}

export interface PhaseContext {
  round: number;
  server: BenchServer;
  sizes: Sizes;
  /** Scratch directory for generated files (wrk scripts). */
  workDir: string;
  /** A blob unique to this round, server and key; its digest is computed here, so call it before `measure`. */
  blob(key: string, size: number): BlobSpec;
  /** Setup shared by the phases of one round and server, done at most once (untimed). */
  once<T>(key: string, setup: () => Promise<T>): Promise<T>;
  /** The section that counts: wall time, and the server's CPU seconds and peak RSS, are measured around it. */
  measure<T>(run: () => Promise<T>): Promise<{ result: T; use: ResourceUse }>;
}

export interface Phase {
  /** Stable name for `--phase` (prefix match). */
  id: string;
  /** What the table calls it, with this run's sizes. */
  title(sizes: Sizes): string;
  run(ctx: PhaseContext): Promise<PhaseResult>;
}

export const MiBps = (bytes: number, seconds: number): Metric => ({
  metric: 'MiB/s',
  value: bytes / 2 ** 20 / seconds,
  higherIsBetter: true,
});

/** req/s, p50 and p99 of a load run; its errors, by kind, become the phase's errors. */
export function loadResult(r: LoadResult): PhaseResult {
  const errors = Object.entries(r.errorKinds).map(
    ([kind, n]) => `${n} of ${r.requests} requests failed: ${kind}`,
  );
  if (r.requests === 0) errors.push('no request completed');
  return {
    metrics: [
      { metric: 'req/s', value: r.reqPerSec, higherIsBetter: true },
      { metric: 'p50 ms', value: r.p50ms, higherIsBetter: false },
      { metric: 'p99 ms', value: r.p99ms, higherIsBetter: false },
    ],
    errors,
    details: { requests: r.requests, seconds: r.seconds },
  };
}
