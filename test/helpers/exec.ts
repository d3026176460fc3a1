import { spawn } from 'node:child_process';

export interface ExecOptions {
  cwd?: string;
  /** Added to (and overriding) the inherited environment. */
  env?: Record<string, string | undefined>;
  /** Replace the inherited environment entirely (then `env` is added on top). */
  cleanEnv?: boolean;
  /** Kill the command (SIGKILL) after this many milliseconds. Default 120 000. */
  timeoutMs?: number;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  /** Throw (with the command line and its stderr) when the exit code is not 0. */
  check?: boolean;
}

export interface ExecResult {
  /** Exit code; -1 when the command was killed by a signal. */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as raw bytes (for byte-exact checks such as digests). */
  stdoutBytes: Buffer;
  /** Wall time in milliseconds. */
  ms: number;
}

export class ExecError extends Error {
  constructor(
    message: string,
    readonly result: ExecResult,
  ) {
    super(message);
    this.name = 'ExecError';
  }
}

export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Run a command (no shell). Resolves with its exit code and output; rejects only on spawn failure, timeout or `check`. */
export function exec(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const env: Record<string, string> = {};
  if (!opts.cleanEnv) for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${commandLine(cmd, args)}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      const result: ExecResult = {
        code: code ?? -1,
        signal,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
        ms: Date.now() - started,
      };
      if (timedOut) {
        reject(
          new ExecError(
            `${commandLine(cmd, args)}: timed out after ${timeoutMs} ms\n${result.stderr}${result.stdout}`,
            result,
          ),
        );
      } else if (opts.check && result.code !== 0) {
        reject(
          new ExecError(
            `${commandLine(cmd, args)}: exit ${code ?? signal}\n${result.stderr.trim() || result.stdout.trim()}`,
            result,
          ),
        );
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => {
      // the command may exit without reading its stdin
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** `exec` with `check: true`: throws with the command's stderr unless it exits 0. */
export function execOk(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return exec(cmd, args, { ...opts, check: true });
}
