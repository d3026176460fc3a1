import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './load.js';

/**
 * wrk (4.1) drives GET and PUT: it cannot do HEAD (it waits for a body after a HEAD reply that has
 * Content-Length), and its Requests/sec counts non-2xx replies, so the generated script prints the
 * raw summary as JSON and error replies are subtracted here.
 */
export interface WrkRequest {
  method: 'GET' | 'PUT';
  headers: Record<string, string>;
  /** The same request every time. */
  path?: string;
  body?: string;
  /**
   * Or a new request each time: `${pathPrefix}${id}` with body `${bodyPrefix}${id}${bodySuffix}`,
   * where id is unique in the run (thread number and counter).
   */
  unique?: { pathPrefix: string; bodyPrefix: string; bodySuffix: string };
}

/** A Lua long string that cannot be closed by its content. */
function luaString(text: string): string {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

export function luaScript(r: WrkRequest): string {
  const lines = [`wrk.method = ${luaString(r.method)}`];
  for (const [k, v] of Object.entries(r.headers))
    lines.push(`wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`);
  if (r.path) lines.push(`wrk.path = ${luaString(r.path)}`);
  if (r.body !== undefined) lines.push(`wrk.body = ${luaString(r.body)}`);
  if (r.unique) {
    lines.push(
      'local threads = 0',
      'function setup(thread) threads = threads + 1; thread:set("tid", threads) end',
      `local pathPrefix = ${luaString(r.unique.pathPrefix)}`,
      `local bodyPrefix = ${luaString(r.unique.bodyPrefix)}`,
      `local bodySuffix = ${luaString(r.unique.bodySuffix)}`,
      'local n = 0',
      'function request()',
      '  n = n + 1',
      '  local id = "w" .. tid .. "-" .. n',
      '  return wrk.format(nil, pathPrefix .. id, nil, bodyPrefix .. id .. bodySuffix)',
      'end',
    );
  }
  lines.push(
    'function done(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'WRK_JSON {"durationUs":%d,"requests":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50Us":%d,"p99Us":%d}\\n\',',
    '    summary.duration, summary.requests, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50), latency:percentile(99)))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

interface WrkSummary {
  durationUs: number;
  requests: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50Us: number;
  p99Us: number;
}

/** Run wrk against `base` (http://127.0.0.1:port) for `seconds` with `connections` keep-alive connections. */
export function wrk(
  base: string,
  request: WrkRequest,
  seconds: number,
  connections: number,
  workDir: string,
): Promise<LoadResult> {
  const script = join(workDir, `wrk-${request.method.toLowerCase()}.lua`);
  writeFileSync(script, luaScript(request));
  // One wrk thread: the servers top out far below what it can drive, and the client should leave
  // as much of this machine's CPU to the server as it can.
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, base];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (seconds + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrk failed: ${err.message} ${stderr}`));
      // wrk reports a script error on stderr and then runs its default request anyway.
      if (stderr.trim()) return reject(new Error(`wrk: ${stderr.trim()}`));
      const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (!line) return reject(new Error(`wrk printed no summary: ${stdout}`));
      const s = JSON.parse(line.slice('WRK_JSON '.length)) as WrkSummary;
      const seconds = s.durationUs / 1e6;
      const errorKinds: Record<string, number> = {};
      for (const kind of ['status', 'connect', 'read', 'write', 'timeout'] as const)
        if (s[kind] > 0) errorKinds[kind === 'status' ? 'status >= 400' : `socket ${kind}`] = s[kind];
      const errors = Object.values(errorKinds).reduce((a, b) => a + b, 0);
      resolve({
        requests: s.requests,
        seconds,
        reqPerSec: (s.requests - s.status) / seconds,
        p50ms: s.p50Us / 1000,
        p99ms: s.p99Us / 1000,
        errors,
        errorKinds,
      });
    });
  });
}
