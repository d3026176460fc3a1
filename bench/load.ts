import { Agent } from 'node:http';
import { call, type Reply } from './client.js';

/** What a load phase measured. Only good responses count as throughput; latency percentiles cover all. */
export interface LoadResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  /** Errors by kind: "status 500", "ECONNRESET", "bad digest", … */
  errorKinds: Record<string, number>;
}

/** Checks one reply: undefined when good, else what was wrong. */
export type ReplyCheck = (reply: Reply) => string | undefined;

export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  check: ReplyCheck;
  /** Keep the body for the check (e.g. to parse a list). */
  collect?: boolean;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

class Tally {
  readonly latencies: number[] = [];
  readonly errorKinds: Record<string, number> = {};
  errors = 0;
  private readonly started = process.hrtime.bigint();

  async one(base: string, spec: RequestSpec, agent?: Agent): Promise<void> {
    const t0 = process.hrtime.bigint();
    let problem: string | undefined;
    try {
      const reply = await call(base, spec.method, spec.path, {
        headers: spec.headers,
        agent,
        collect: spec.collect,
      });
      this.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      problem = spec.check(reply);
    } catch (err) {
      this.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      problem = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
    if (problem !== undefined) {
      this.errors++;
      this.errorKinds[problem] = (this.errorKinds[problem] ?? 0) + 1;
    }
  }

  result(): LoadResult {
    const seconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      requests: sorted.length,
      seconds,
      reqPerSec: (sorted.length - this.errors) / seconds,
      p50ms: percentile(sorted, 50),
      p99ms: percentile(sorted, 99),
      errors: this.errors,
      errorKinds: this.errorKinds,
    };
  }
}

/**
 * `connections` workers on their own keep-alive agent (maxSockets = connections), each sending the
 * request again as soon as the previous reply ended, for `seconds`. Used for HEAD, which wrk cannot do.
 */
export async function closedLoop(
  base: string,
  spec: RequestSpec,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const tally = new Tally();
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) await tally.one(base, spec, agent);
    }),
  );
  agent.destroy();
  return tally.result();
}

/** `count` requests one after another on one keep-alive connection, for list latencies. */
export async function sequential(base: string, spec: RequestSpec, count: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const tally = new Tally();
  for (let i = 0; i < count; i++) await tally.one(base, spec, agent);
  agent.destroy();
  return tally.result();
}
