import { ARCA_MAIN } from './arca.js';
import { exec, type ExecResult } from './exec.js';

/** Who the `arca` command signs in as, against which server, and where it keeps its login. */
export interface CliLogin {
  server: string;
  username: string;
  password: string;
  /** XDG_CONFIG_HOME: the stored login lives here, never in the real home. */
  configHome: string;
}

/**
 * Run the built `arca` command signed in with a username and password (ARCA_API_KEY dropped), stdin
 * empty unless `input` is given.
 */
export function arcaCli(
  login: CliLogin,
  args: string[],
  opts: { env?: Record<string, string>; input?: string } = {},
): Promise<ExecResult> {
  return exec(process.execPath, [ARCA_MAIN, ...args], {
    env: {
      ARCA_SERVER: login.server,
      ARCA_USERNAME: login.username,
      ARCA_PASSWORD: login.password,
      ARCA_API_KEY: undefined,
      XDG_CONFIG_HOME: login.configHome,
      ...opts.env,
    },
    input: opts.input ?? '',
  });
}
