import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { runArca } from '../helpers/arca-cli.js';
import type { ExecResult } from '../helpers/exec.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const adminPassword = 'cli-admin-Pass-77';

describe('arca login, user, role, service-account and apikey commands', () => {
  let arca: RunningArca;
  let home: TempDir;
  const cli = (
    args: string[],
    opts: { env?: Record<string, string>; input?: string } = {},
  ): Promise<ExecResult> =>
    runArca(args, {
      env: { ARCA_SERVER: arca.url, XDG_CONFIG_HOME: home.path, ...opts.env },
      input: opts.input,
    });
  const json = (r: ExecResult): unknown => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    home = makeTempDir('arca-cli-home-');
    arca = await startArca({ auth: 'arca', env: { ARCA_ADMIN_PASSWORD: adminPassword } });
  });
  after(async () => {
    await arca?.stop();
    await home?.cleanup();
  });

  test('without a login, commands say how to sign in', async () => {
    const r = await cli(['user', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 401.*arca login/);
  });

  test('a wrong password does not log in and stores nothing', async () => {
    const r = await cli(['login', '-u', 'admin', '--password-stdin'], { input: 'not-the-password\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /login to .* failed: invalid username or password/);
    assert.equal((await cli(['user', 'list'])).code, 1);
  });

  test('login keeps a refresh token in a 0600 file, never the password; commands then work', async () => {
    const login = await cli(['login', '-u', 'admin', '--password-stdin'], { input: `${adminPassword}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Logged in to .* as admin/);
    const file = join(home.path, 'arca', 'logins.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const stored = readFileSync(file, 'utf8');
    assert.ok(!stored.includes(adminPassword));
    assert.match(stored, /arca_r_/);

    const me = json(await cli(['whoami', '--output', 'json'])) as { name: string; kind: string };
    assert.equal(me.name, 'admin');

    const created = await cli(['user', 'create', 'dana', '--password-stdin', '-o', 'json'], {
      input: 'dana-password-1\n',
    });
    assert.equal((json(created) as { name: string }).name, 'dana');
    const users = json(await cli(['user', 'list', '-o', 'json'])) as { name: string }[];
    assert.deepEqual(users.map((u) => u.name).sort(), ['admin', 'dana']);
    const table = await cli(['user', 'list']);
    assert.match(table.stdout, /^NAME\s+DISABLED/);

    const role = json(
      await cli([
        'role',
        'create',
        'CatalogViewer',
        '-p',
        'catalog/read',
        '-d',
        'reads the catalog',
        '-o',
        'json',
      ]),
    ) as { name: string; permissions: string[] };
    assert.deepEqual(role.permissions, ['catalog/read']);
    const bad = await cli(['role', 'create', 'Broken', '-p', 'registries/teleport']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /registries\/teleport/);

    const assigned = json(await cli(['role', 'assign', 'CatalogViewer', '--user', 'dana', '-o', 'json'])) as {
      id: string;
    };
    const both = await cli(['role', 'assign', 'Reader', '--user', 'dana', '--group', 'g']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /exactly one of --user, --group or --service-account/);
    const assignments = json(await cli(['role', 'assignments', '--role', 'CatalogViewer', '-o', 'json'])) as {
      id: string;
    }[];
    assert.deepEqual(
      assignments.map((a) => a.id),
      [assigned.id],
    );

    // dana, by ARCA_USERNAME/ARCA_PASSWORD: may read the catalog, may not manage users.
    const dana = { ARCA_USERNAME: 'dana', ARCA_PASSWORD: 'dana-password-1' };
    assert.equal((await cli(['catalog', 'list', '-o', 'json'], { env: dana })).code, 0);
    const refused = await cli(['user', 'list'], { env: dana });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /HTTP 403/);
  });

  test('service account API keys: created once, used by ARCA_API_KEY, revoked at once', async () => {
    assert.equal((await cli(['service-account', 'create', 'deployer', '-d', 'CD'])).code, 0);
    await cli(['role', 'assign', 'Reader', '--service-account', 'deployer']);
    const created = await cli(['apikey', 'create', 'deployer', '--name', 'cd', '--expires-in', '30d']);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^arca_k_/);
    assert.match(created.stderr, /not shown again/);
    const keys = json(await cli(['apikey', 'list', 'deployer', '-o', 'json'])) as {
      id: string;
      expires_at: string;
    }[];
    assert.equal(keys.length, 1);
    assert.ok(!JSON.stringify(keys).includes(key));
    const days = (Date.parse(keys[0]!.expires_at) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, String(days));

    const withKey = await cli(['catalog', 'list', '-o', 'json'], { env: { ARCA_API_KEY: key } });
    assert.equal(withKey.code, 0, withKey.stderr);
    assert.equal((await cli(['apikey', 'revoke', 'deployer', keys[0]!.id])).code, 0);
    const after = await cli(['catalog', 'list'], { env: { ARCA_API_KEY: key } });
    assert.equal(after.code, 1);
    assert.match(after.stderr, /HTTP 401/);
  });

  test('logout revokes the refresh token', async () => {
    const stored = JSON.parse(readFileSync(join(home.path, 'arca', 'logins.json'), 'utf8')) as Record<
      string,
      { refresh_token: string }
    >;
    const refresh = stored[arca.url]!.refresh_token;
    const out = await cli(['logout']);
    assert.equal(out.code, 0);
    assert.match(out.stdout, /Logged out/);
    assert.equal((await cli(['user', 'list'])).code, 1);
    const reuse = await fetch(`${arca.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh }).toString(),
    });
    assert.equal(reuse.status, 401);
  });
});
