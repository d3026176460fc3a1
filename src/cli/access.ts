import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { parseDuration } from '../config/index.js';
import {
  apiCall,
  client,
  list,
  print,
  readStdin,
  serverUrl,
  show,
  type ClientOptions,
} from './api-client.js';
import { removeLogin, saveLogin } from './login-store.js';

/**
 * `arca login|logout|whoami`, `arca user …`, `arca role …`, `arca service-account …` and
 * `arca apikey …`: accounts and permissions of a running server, through /api/v1.
 */
export function accessCommands(): Command[] {
  return [
    loginCommand(),
    logoutCommand(),
    whoamiCommand(),
    userCommand(),
    roleCommand(),
    serviceAccountCommand(),
    apiKeyCommand(),
  ];
}

type Row = Record<string, unknown>;

const enc = encodeURIComponent;

/** Ask for a secret on the terminal without echoing it. */
async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('no terminal to ask for the password: use --password-stdin');
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stderr.write(question);
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** A password from stdin (`--password-stdin`), ARCA_PASSWORD, or the terminal. */
async function passwordFrom(opts: { passwordStdin?: boolean }, question = 'Password: '): Promise<string> {
  if (opts.passwordStdin) return readStdin();
  if (process.env.ARCA_PASSWORD) return process.env.ARCA_PASSWORD;
  return prompt(question);
}

function loginCommand(): Command {
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

function logoutCommand(): Command {
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

function whoamiCommand(): Command {
  return client(new Command('whoami').description('who the server sees, and what they may do')).action(
    async (opts: ClientOptions) => {
      const me = (await apiCall(opts, 'GET', '/api/v1/me')) as Row;
      if (opts.output === 'json') return print(me);
      process.stdout.write(`${String(me.name ?? 'anonymous')} (${String(me.kind)})\n`);
      show(opts, { grants: me.grants });
    },
  );
}

function userCommand(): Command {
  const user = new Command('user').description('manage user accounts');
  client(user.command('list').description('list users')).action(async (opts: ClientOptions) => {
    const { items } = (await apiCall(opts, 'GET', '/api/v1/users')) as { items: Row[] };
    list(opts, items, ['NAME', 'DISABLED', 'GROUPS', 'CREATED'], (u) => [
      u.name,
      u.disabled,
      (u.groups as string[]).join(','),
      u.created_at,
    ]);
  });
  client(user.command('create').description('create a user').argument('<name>'))
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, opts: ClientOptions & { passwordStdin?: boolean }) => {
      const password = await passwordFrom(opts, `Password for ${name}: `);
      show(opts, await apiCall(opts, 'POST', '/api/v1/users', { name, password }));
    });
  client(user.command('show').description('show a user').argument('<name>')).action(
    async (name: string, opts: ClientOptions) =>
      show(opts, await apiCall(opts, 'GET', `/api/v1/users/${enc(name)}`)),
  );
  client(user.command('passwd').description("set a user's password").argument('<name>'))
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, opts: ClientOptions & { passwordStdin?: boolean }) => {
      const password = await passwordFrom(opts, `New password for ${name}: `);
      show(opts, await apiCall(opts, 'PATCH', `/api/v1/users/${enc(name)}`, { password }));
    });
  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    client(user.command(verb).description(`${verb} a user`).argument('<name>')).action(
      async (name: string, opts: ClientOptions) =>
        show(opts, await apiCall(opts, 'PATCH', `/api/v1/users/${enc(name)}`, { disabled })),
    );
  }
  client(user.command('delete').description('delete a user').argument('<name>')).action(
    async (name: string, opts: ClientOptions) => {
      await apiCall(opts, 'DELETE', `/api/v1/users/${enc(name)}`);
      if (opts.output === 'json') print({ deleted: name });
      else process.stdout.write(`deleted user ${name}\n`);
    },
  );
  return user;
}

/** `--user u`, `--group g` or `--service-account s`: exactly one. */
function principalOf(opts: { user?: string; group?: string; serviceAccount?: string }) {
  const given = [
    opts.user !== undefined ? { kind: 'user', name: opts.user } : undefined,
    opts.group !== undefined ? { kind: 'group', name: opts.group } : undefined,
    opts.serviceAccount !== undefined ? { kind: 'service-account', name: opts.serviceAccount } : undefined,
  ].filter((p) => p !== undefined);
  if (given.length !== 1) throw new Error('give exactly one of --user, --group or --service-account');
  return given[0]!;
}

function roleCommand(): Command {
  const role = new Command('role').description('roles, custom roles and role assignments');
  client(role.command('list').description('list built-in and custom roles')).action(
    async (opts: ClientOptions) => {
      const { items } = (await apiCall(opts, 'GET', '/api/v1/roles')) as { items: Row[] };
      list(opts, items, ['NAME', 'BUILTIN', 'PERMISSIONS'], (r) => [
        r.name,
        r.builtin,
        (r.permissions as string[]).join(','),
      ]);
    },
  );
  client(role.command('show').description('show a role').argument('<name>')).action(
    async (name: string, opts: ClientOptions) =>
      show(opts, await apiCall(opts, 'GET', `/api/v1/roles/${enc(name)}`)),
  );
  client(role.command('create').description('create a custom role').argument('<name>'))
    .requiredOption('-p, --permission <verb...>', 'permissions, e.g. registries/assets/read')
    .option('-d, --description <text>', 'what the role is for', '')
    .action(async (name: string, opts: ClientOptions & { permission: string[]; description: string }) => {
      const body = { name, description: opts.description, permissions: opts.permission };
      show(opts, await apiCall(opts, 'POST', '/api/v1/roles', body));
    });
  client(role.command('delete').description('delete a custom role').argument('<name>')).action(
    async (name: string, opts: ClientOptions) => {
      await apiCall(opts, 'DELETE', `/api/v1/roles/${enc(name)}`);
      if (opts.output === 'json') print({ deleted: name });
      else process.stdout.write(`deleted role ${name}\n`);
    },
  );
  client(role.command('assign').description('give a role at a scope').argument('<role>'))
    .option('--user <name>')
    .option('--group <name>')
    .option('--service-account <name>')
    .option('--scope <scope>', '/ (everything), /namespaces/<ns> or /registries/<name>', '/')
    .action(
      async (
        roleName: string,
        opts: ClientOptions & { user?: string; group?: string; serviceAccount?: string; scope: string },
      ) => {
        const body = { role: roleName, principal: principalOf(opts), scope: opts.scope };
        show(opts, await apiCall(opts, 'POST', '/api/v1/role-assignments', body));
      },
    );
  client(role.command('assignments').description('list role assignments'))
    .option('--role <name>')
    .option('--scope <scope>')
    .action(async (opts: ClientOptions & { role?: string; scope?: string }) => {
      const query = new URLSearchParams();
      if (opts.role) query.set('role', opts.role);
      if (opts.scope) query.set('scope', opts.scope);
      const { items } = (await apiCall(opts, 'GET', `/api/v1/role-assignments?${query}`)) as { items: Row[] };
      list(opts, items, ['ID', 'ROLE', 'PRINCIPAL', 'SCOPE'], (a) => {
        const p = a.principal as { kind: string; name: string };
        return [a.id, a.role, `${p.kind}:${p.name}`, a.scope];
      });
    });
  client(role.command('unassign').description('remove a role assignment').argument('<id>')).action(
    async (id: string, opts: ClientOptions) => {
      await apiCall(opts, 'DELETE', `/api/v1/role-assignments/${enc(id)}`);
      if (opts.output === 'json') print({ deleted: id });
      else process.stdout.write(`removed assignment ${id}\n`);
    },
  );
  return role;
}

function serviceAccountCommand(): Command {
  const sa = new Command('service-account').description('service accounts (they sign in with API keys)');
  client(sa.command('list').description('list service accounts')).action(async (opts: ClientOptions) => {
    const { items } = (await apiCall(opts, 'GET', '/api/v1/service-accounts')) as { items: Row[] };
    list(opts, items, ['NAME', 'DISABLED', 'DESCRIPTION'], (s) => [s.name, s.disabled, s.description]);
  });
  client(sa.command('create').description('create a service account').argument('<name>'))
    .option('-d, --description <text>', 'what it is for', '')
    .action(async (name: string, opts: ClientOptions & { description: string }) =>
      show(
        opts,
        await apiCall(opts, 'POST', '/api/v1/service-accounts', { name, description: opts.description }),
      ),
    );
  client(sa.command('delete').description('delete a service account and its keys').argument('<name>')).action(
    async (name: string, opts: ClientOptions) => {
      await apiCall(opts, 'DELETE', `/api/v1/service-accounts/${enc(name)}`);
      if (opts.output === 'json') print({ deleted: name });
      else process.stdout.write(`deleted service account ${name}\n`);
    },
  );
  return sa;
}

function apiKeyCommand(): Command {
  const apikey = new Command('apikey').description("a service account's API keys");
  client(
    apikey.command('create').description('create an API key (shown this once)').argument('<service-account>'),
  )
    .option('--name <name>', 'what the key is for', '')
    .option('--expires-in <duration>', 'lifetime, e.g. 720h or 90d (default: no expiry)')
    .action(async (account: string, opts: ClientOptions & { name: string; expiresIn?: string }) => {
      const body: Row = { name: opts.name };
      if (opts.expiresIn !== undefined) body.expires_in = Math.ceil(lifetimeMs(opts.expiresIn) / 1000);
      const key = (await apiCall(
        opts,
        'POST',
        `/api/v1/service-accounts/${enc(account)}/api-keys`,
        body,
      )) as Row;
      if (opts.output === 'json') return print(key);
      process.stdout.write(`${String(key.key)}\n`);
      process.stderr.write(`API key ${String(key.id)} for ${account}: store it now, it is not shown again\n`);
    });
  client(
    apikey.command('list').description("list a service account's keys").argument('<service-account>'),
  ).action(async (account: string, opts: ClientOptions) => {
    const { items } = (await apiCall(opts, 'GET', `/api/v1/service-accounts/${enc(account)}/api-keys`)) as {
      items: Row[];
    };
    list(opts, items, ['ID', 'NAME', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'], (k) => [
      k.id,
      k.name,
      k.created_at,
      k.expires_at,
      k.last_used_at,
      k.revoked_at,
    ]);
  });
  client(
    apikey
      .command('revoke')
      .description('revoke a key at once')
      .argument('<service-account>')
      .argument('<id>'),
  ).action(async (account: string, id: string, opts: ClientOptions) => {
    const revoked = await apiCall(
      opts,
      'DELETE',
      `/api/v1/service-accounts/${enc(account)}/api-keys/${enc(id)}`,
    );
    if (opts.output === 'json') print(revoked);
    else process.stdout.write(`revoked API key ${id}\n`);
  });
  return apikey;
}

/** `90d`, `12h`, `30m`: days on top of the Go durations the configuration takes. */
function lifetimeMs(text: string): number {
  const days = /^(\d+)d$/.exec(text.trim());
  if (days) return Number(days[1]) * 86_400_000;
  return parseDuration(text);
}
