import { Command } from 'commander';
import { apiCall, client, print, serverUrl, show, type ClientOptions, type Row } from './api-client.js';
import { removeLogin, saveLogin } from './login-store.js';
import { passwordFrom } from './password-input.js';

/** `arca login`: sign in with a password and keep the refresh token the server hands out. */
export function loginCommand(): Command {
  return client(
    new Command('login').description('sign in to a server and keep a refresh token (never the password)'),
  )
    .option('-u, --username <name>', 'account name (default: $ARCA_USERNAME)')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (opts: ClientOptions & { username?: string; passwordStdin?: boolean }) => {
      const server = serverUrl(opts);
      const username = opts.username ?? process.env.ARCA_USERNAME;
      if (!username) throw new Error('give --username (or ARCA_USERNAME)');
      const password = await passwordFrom(opts);
      let res: Response;
      try {
        res = await fetch(`${server}/auth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'password',
            username,
            password,
            access_type: 'offline',
            client_id: 'arca-cli',
          }).toString(),
        });
      } catch (err) {
        throw new Error(
          `cannot reach ${server}: ${((err as { cause?: Error }).cause ?? (err as Error)).message}`,
        );
      }
      const body = (await res.json().catch(() => ({}))) as {
        refresh_token?: string;
        error_description?: string;
      };
      if (!res.ok || !body.refresh_token) {
        const reason = body.error_description ?? `HTTP ${res.status}`;
        throw new Error(`login to ${server} failed: ${reason}`);
      }
      saveLogin(server, { username, refresh_token: body.refresh_token });
      if (opts.output === 'json') print({ server, username, logged_in: true });
      else process.stdout.write(`Logged in to ${server} as ${username}\n`);
    });
}

/** `arca logout`: forget the stored login and revoke its refresh token. */
export function logoutCommand(): Command {
  return client(
    new Command('logout').description('forget the stored login and revoke its refresh token'),
  ).action(async (opts: ClientOptions) => {
    const server = serverUrl(opts);
    const login = removeLogin(server);
    if (login) {
      await fetch(`${server}/auth/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: login.refresh_token }).toString(),
      }).catch(() => undefined);
    }
    if (opts.output === 'json') print({ server, logged_out: login !== undefined });
    else process.stdout.write(login ? `Logged out of ${server}\n` : `Not logged in to ${server}\n`);
  });
}

/** `arca whoami`: who the server sees, and their grants. */
export function whoamiCommand(): Command {
  return client(new Command('whoami').description('who the server sees, and what they may do')).action(
    async (opts: ClientOptions) => {
      const me = (await apiCall(opts, 'GET', '/api/v1/me')) as Row;
      if (opts.output === 'json') return print(me);
      process.stdout.write(`${String(me.name ?? 'anonymous')} (${String(me.kind)})\n`);
      show(opts, { grants: me.grants });
    },
  );
}
