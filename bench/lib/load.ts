import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { call } from './http.js';

export interface LoadResult {
  reqPerSec: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function toMs(value: string, unit: string): number {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);
}

/** Run wrk with a generated Lua script; errors are non-2xx responses and socket errors. */
export function wrk(
  url: string,
  seconds: number,
  connections: number,
  script: { method: 'GET' | 'PUT'; headers: Record<string, string>; body?: Buffer },
  workDir: string,
): Promise<LoadResult> {
  const lua = join(workDir, `wrk-${script.method}.lua`);
  const headers = Object.entries(script.headers)
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join('\n');
  const body = script.body ? `wrk.body = ${JSON.stringify(script.body.toString('utf8'))}` : '';
  writeFileSync(lua, `wrk.method = "${script.method}"\n${headers}\n${body}\n`);
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', lua, url],
      { timeout: (seconds + 30) * 1000 },
      (err, stdout) => {
        if (err) return reject(new Error(`wrk failed: ${err.message}`));
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
        const total = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
        const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
        const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
          stdout,
        );
        const sockets = socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
        const lat = (p: string) => {
          const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
          return m ? toMs(m[1]!, m[2]!) : 0;
        };
        const ok = total > 0 ? rps * ((total - non2xx) / total) : 0;
        resolve({ reqPerSec: ok, p50ms: lat('50'), p99ms: lat('99'), errors: non2xx + sockets });
      },
    );
  });
}

/** `connections` workers sending the same request back to back for `seconds` (wrk cannot do HEAD). */
export async function closedLoop(
  base: string,
  method: string,
  path: string,
  seconds: number,
  connections: number,
  expectStatus: number,
  headers: Record<string, string> = {},
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        const r = await call(base, method, path, { headers }).catch(() => ({ status: 0 }));
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (r.status !== expectStatus) errors++;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    reqPerSec: (latencies.length - errors) / elapsed,
    p50ms: percentile(latencies, 50),
    p99ms: percentile(latencies, 99),
    errors,
  };
}

/** Sequential requests, for list latencies. */
export async function sequential(base: string, path: string, count: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    const r = await call(base, 'GET', path);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 200) errors++;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    reqPerSec: count / elapsed,
    p50ms: percentile(latencies, 50),
    p99ms: percentile(latencies, 99),
    errors,
  };
}
