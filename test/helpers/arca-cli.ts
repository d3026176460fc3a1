import { ARCA_MAIN } from './arca.js';
import { exec, type ExecResult } from './exec.js';
import { serverEnv } from './server.js';

export interface ArcaRunOptions {
  /** Over the environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** stdin; empty by default. */
  input?: string;
  cwd?: string;
  /** Default 120 000 ms. */
  timeoutMs?: number;
  /** Options for node itself, before the script (`--cpu-prof`, which NODE_OPTIONS may not carry). */
  nodeArgs?: string[];
}

/**
 * Run the built `arca` command with the test process's environment less what Arca would read as its
 * configuration (no inherited `REGISTRY_*`/`ARCA_*`, as a started server gets), plus `env`.
 */
export function runArca(args: string[], opts: ArcaRunOptions = {}): Promise<ExecResult> {
  return exec(process.execPath, [...(opts.nodeArgs ?? []), ARCA_MAIN, ...args], {
    cwd: opts.cwd,
    cleanEnv: true,
    env: { ...serverEnv(), ...opts.env },
    input: opts.input ?? '',
    timeoutMs: opts.timeoutMs,
  });
}

/** Who the `arca` command signs in as, against which server, and where it keeps its login. */
export interface CliLogin {
  server: string;
  username: string;
  password: string;
  /** XDG_CONFIG_HOME: the stored login lives here, never in the real home. */
  configHome: string;
}

/** Run the built `arca` command signed in with a username and password. */
export function arcaCli(
  login: CliLogin,
  args: string[],
  opts: { env?: Record<string, string>; input?: string } = {},
): Promise<ExecResult> {
  return runArca(args, {
    env: {
      ARCA_SERVER: login.server,
      ARCA_USERNAME: login.username,
      ARCA_PASSWORD: login.password,
      XDG_CONFIG_HOME: login.configHome,
      ...opts.env,
    },
    input: opts.input,
  });
}
