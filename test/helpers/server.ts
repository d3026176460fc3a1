import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { apiCall } from './api-client.js';

/** What every started server (registry:2 or Arca) offers to a test. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  /** `127.0.0.1:<port>`, as used in image references. */
  readonly host: string;
  /** Where the server keeps its data (and its config and log). */
  readonly dataDir: string;
  /** SIGTERM, wait for the exit (SIGKILL after 10 s), release what the harness made for it. */
  stop(): Promise<void>;
  /** Send a signal without waiting (e.g. SIGKILL to simulate a crash). */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * The inherited environment without variables a registry would read as configuration
 * (`REGISTRY_*` overrides in registry:2 and Arca, `ARCA_*` in Arca), plus `extra`.
 */
export function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('REGISTRY_') || k.startsWith('ARCA_')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

const children = new Set<ChildProcess>();
let exitHook = false;

/** Kill `child` (SIGKILL) if the test process exits while it still runs: no orphaned servers. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  // A spawn failure also shows as an early exit, which the start-up wait reports with the log.
  child.on('error', () => {});
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when the child has exited (at once if it already has). */
export function waitForExit(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL if the child is still there after `graceMs`. */
export async function terminate(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (hasExited(child)) return;
  const exited = waitForExit(child);
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const first = await Promise.race([exited.then(() => 'exited' as const), timeout]);
  clearTimeout(timer);
  if (first === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

export function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

function tail(text: string, lines = 60): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/**
 * Poll `GET <url>/v2/` until it answers 200 or 401 (over https trusting `ca`). Throws (with the
 * tail of the log) when the child exits first or `timeoutMs` passes.
 */
export async function waitForV2(
  url: string,
  child: ChildProcess,
  opts: { timeoutMs: number; logPath: string; name: string; ca?: Buffer },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      throw new Error(
        `${opts.name} exited (code ${child.exitCode ?? child.signalCode}) before ${url}/v2/ answered; log ${opts.logPath}:\n${tail(readLog(opts.logPath))}`,
      );
    }
    try {
      const { status } = await apiCall(url, 'GET', '/v2/', { ca: opts.ca, timeoutMs: 2_000 });
      if (status === 200 || status === 401) return;
      last = `status ${status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `${opts.name}: ${url}/v2/ did not answer 200/401 within ${opts.timeoutMs} ms (${last}); log ${opts.logPath}:\n${tail(readLog(opts.logPath))}`,
  );
}
