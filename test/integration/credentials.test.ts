import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiCall, type Auth } from '../helpers/api-client.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import type { ExecResult } from '../helpers/exec.js';
import { makeTempDir, removeTempDir, type TempDir } from '../helpers/tmp.js';
import { arcaCli } from '../helpers/arca-cli.js';

const adminPassword = 'cred-admin-Pass-31';
const admin = { user: 'admin', pass: adminPassword };

/** A JSON call as `auth`: the admin unless given (null: nobody). */
const api = (arca: RunningArca, method: string, path: string, body?: unknown, auth: Auth = admin) =>
  apiCall(arca.url, method, path, { auth, json: body });

describe('credentials: encrypted, masked, scoped, tested against real registries', () => {
  let arca: RunningArca;
  let registry: RunningRegistry2;
  let work: TempDir;
  const ngcToken = `nvapi-${randomBytes(24).toString('hex')}`;
  const registryUser = { user: 'puller', pass: 'registry-pass-9' };
  const cli = (args: string[], env: Record<string, string> = {}): Promise<ExecResult> =>
    arcaCli({ server: arca.url, username: 'admin', password: adminPassword, configHome: work.path }, args, {
      env,
    });

  before(async () => {
    work = makeTempDir('arca-credentials-');
    [arca, registry] = await Promise.all([
      startArca({
        auth: 'arca',
        env: { ARCA_ADMIN_PASSWORD: adminPassword },
        config: { catalog: { healthcheck: { interval: 0, timeout: '2s' } } },
      }),
      startRegistry2({ htpasswd: registryUser }),
    ]);
  });
  after(async () => {
    await Promise.all([arca?.stop(), registry?.stop()]);
    await work?.cleanup();
  });

  test("OSMO's syntax: set, list, show masked; the secret is sealed at rest", async () => {
    const set = await cli([
      'credential',
      'set',
      'ngc',
      '--type',
      'REGISTRY',
      '--payload',
      'registry=nvcr.io',
      'username=$oauthtoken',
      `auth=${ngcToken}`,
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /credential ngc set \(REGISTRY, namespace default\)/);
    const shown = JSON.parse((await cli(['credential', 'show', 'ngc', '-o', 'json'])).stdout) as {
      payload: Record<string, string>;
      type: string;
    };
    assert.equal(shown.type, 'REGISTRY');
    assert.deepEqual(shown.payload, {
      registry: 'nvcr.io',
      username: '$oauthtoken',
      auth: `****${ngcToken.slice(-4)}`,
    });

    const tokenFile = join(work.path, 'secret.txt');
    writeFileSync(tokenFile, 's3cr3t-access-key-value\n');
    const data = await cli([
      'credential',
      'set',
      'bucket-creds',
      '--type',
      'DATA',
      '--payload',
      'access_key_id=AKIAEXAMPLE',
      '--payload-file',
      `access_key=${tokenFile}`,
    ]);
    assert.equal(data.code, 0, data.stderr);
    const listed = JSON.parse((await cli(['credential', 'list', '-o', 'json'])).stdout) as {
      name: string;
      payload: Record<string, string>;
    }[];
    assert.deepEqual(
      listed.map((c) => c.name),
      ['bucket-creds', 'ngc'],
    );
    assert.deepEqual(listed[0]!.payload, {
      access_key_id: 'AKIAEXAMPLE',
      access_key: '****alue',
      region: 'us-east-1',
    });
    const table = (await cli(['credential', 'list'])).stdout;
    assert.match(table, /^NAME\s+TYPE\s+NAMESPACE/);
    assert.ok(!table.includes(ngcToken));

    // At rest: neither the database file nor anything else in the data directory holds the token.
    const db = readFileSync(join(arca.dataDir, 'arca.db'));
    assert.equal(db.indexOf(ngcToken), -1);
    assert.equal(db.indexOf('s3cr3t-access-key-value'), -1);
    assert.equal(statSync(join(arca.dataDir, 'credentials.key')).mode & 0o777, 0o600);
    assert.ok(!arca.logs().includes(ngcToken));
  });

  test('bad input gets a clear 400 and changes nothing', async () => {
    const noAuth = await cli([
      'credential',
      'set',
      'r1',
      '--type',
      'REGISTRY',
      '--payload',
      'registry=ghcr.io',
      'username=u',
    ]);
    assert.equal(noAuth.code, 1);
    assert.match(noAuth.stderr, /auth: /);
    const unknownField = await api(arca, 'PUT', '/api/v1/credentials/r2', {
      type: 'DATA',
      payload: { access_key_id: 'a', access_key: 'b', bucket: 'c' },
    });
    assert.equal(unknownField.status, 400);
    assert.match(String(unknownField.body.detail), /unknown field\(s\) for DATA: bucket/);
    const badName = await api(arca, 'PUT', '/api/v1/credentials/..%2Fetc', {
      type: 'GENERIC',
      payload: { a: 'b' },
    });
    assert.equal(badName.status, 400);
    const badType = await api(arca, 'PUT', '/api/v1/credentials/r3', { type: 'SSH', payload: { a: 'b' } });
    assert.equal(badType.status, 400);
    const malformed = await apiCall(arca.url, 'PUT', '/api/v1/credentials/r4', {
      auth: admin,
      headers: { 'content-type': 'application/json' },
      body: '{"type":',
    });
    assert.equal(malformed.status, 400);
    const badEndpoint = await api(arca, 'PUT', '/api/v1/credentials/r5', {
      type: 'DATA',
      payload: { access_key_id: 'a', access_key: 'b', endpoint: 'ftp://x' },
    });
    assert.equal(badEndpoint.status, 400);
    const missing = await cli(['credential', 'show', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no credential "nope" in namespace default \(HTTP 404\)/);
    const names = ((await api(arca, 'GET', '/api/v1/credentials')).body.items as { name: string }[]).map(
      (c) => c.name,
    );
    assert.deepEqual(names, ['bucket-creds', 'ngc']);
  });

  test('credential test logs in to a registry: right, wrong and unreachable', async () => {
    const set = (name: string, pass: string, registryAddress = registry.url) =>
      cli([
        'credential',
        'set',
        name,
        '--type',
        'REGISTRY',
        '--payload',
        `registry=${registryAddress}`,
        `username=${registryUser.user}`,
        `auth=${pass}`,
      ]);
    assert.equal((await set('local', registryUser.pass)).code, 0);
    assert.equal((await set('local-wrong', 'not-the-password')).code, 0);
    assert.equal((await set('nowhere', 'x', 'http://127.0.0.1:1')).code, 0);
    const good = await cli(['credential', 'test', 'local']);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /^OK: GET http:\/\/127\.0\.0\.1:\d+\/v2\/: logged in/);
    const wrong = await cli(['credential', 'test', 'local-wrong', '-o', 'json']);
    assert.equal(wrong.code, 3);
    assert.equal((JSON.parse(wrong.stdout) as { ok: boolean; status_code: number }).status_code, 401);
    const nowhere = await cli(['credential', 'test', 'nowhere']);
    assert.equal(nowhere.code, 3);
    assert.match(nowhere.stdout, /FAILED: .*cannot reach 127\.0\.0\.1:1/);
    // A token registry: Arca itself, with its own admin account.
    const selfSet = await cli([
      'credential',
      'set',
      'arca-self',
      '--type',
      'REGISTRY',
      '--payload',
      `registry=${arca.url}`,
      'username=admin',
      `auth=${adminPassword}`,
    ]);
    assert.equal(selfSet.code, 0, selfSet.stderr);
    const self = await cli(['credential', 'test', 'arca-self']);
    assert.match(self.stdout, /^OK: .*logged in/);
    for (const name of ['local-wrong', 'nowhere', 'arca-self'])
      assert.equal((await cli(['credential', 'delete', name])).code, 0);
  });

  test('the catalog health check of an htpasswd registry is up (401), then reachable (200) with its stored credential', async () => {
    await cli(['credential', 'delete', 'local']);
    const created = await api(arca, 'POST', '/container_registry', {
      container_registry_name: 'team-registry',
      container_registry_public_url: registry.url,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body.data as { id: string }).id;
    const before = await api(arca, 'GET', `/check_container_health/${id}`);
    assert.equal(before.status, 200, JSON.stringify(before.body));
    const first = JSON.stringify(before.body);
    assert.match(first, /"status_code":401/);
    assert.match(first, /"status":"up"/);
    const set = await cli([
      'credential',
      'set',
      'team',
      '--type',
      'REGISTRY',
      '--payload',
      `registry=${registry.url}`,
      `username=${registryUser.user}`,
      `auth=${registryUser.pass}`,
    ]);
    assert.equal(set.code, 0, set.stderr);
    const after = JSON.stringify((await api(arca, 'GET', `/check_container_health/${id}`)).body);
    assert.match(after, /"status_code":200/);
    assert.ok(!after.includes(registryUser.pass));
  });

  test('RBAC: credentials/read and credentials/write, at / or in a namespace', async () => {
    for (const [name, password] of [
      ['viewer', 'viewer-pass-1'],
      ['teamlead', 'teamlead-pass-1'],
    ] as const) {
      assert.equal((await api(arca, 'POST', '/api/v1/users', { name, password })).status, 201);
    }
    await api(arca, 'POST', '/api/v1/role-assignments', {
      role: 'Reader',
      principal: { kind: 'user', name: 'viewer' },
    });
    const scoped = await api(arca, 'POST', '/api/v1/role-assignments', {
      role: 'Contributor',
      principal: { kind: 'user', name: 'teamlead' },
      scope: '/namespaces/team',
    });
    assert.equal(scoped.status, 201, JSON.stringify(scoped.body));
    const viewer = { user: 'viewer', pass: 'viewer-pass-1' };
    const lead = { user: 'teamlead', pass: 'teamlead-pass-1' };
    assert.equal((await api(arca, 'GET', '/api/v1/credentials', undefined, viewer)).status, 403);
    assert.equal((await api(arca, 'GET', '/api/v1/credentials', undefined, lead)).status, 403);
    const inTeam = await api(
      arca,
      'PUT',
      '/api/v1/credentials/ghcr?namespace=team',
      { type: 'REGISTRY', payload: { registry: 'ghcr.io', auth: 'ghp_x' } },
      lead,
    );
    assert.equal(inTeam.status, 201, JSON.stringify(inTeam.body));
    assert.equal((await api(arca, 'GET', '/api/v1/credentials?namespace=team', undefined, lead)).status, 200);
    const inDefault = await api(
      arca,
      'PUT',
      '/api/v1/credentials/ghcr',
      { type: 'REGISTRY', payload: { registry: 'ghcr.io', auth: 'ghp_x' } },
      lead,
    );
    assert.equal(inDefault.status, 403);
    assert.equal((await api(arca, 'GET', '/api/v1/credentials', undefined, null)).status, 401);
    // Names are unique regardless of case: GHCR replaces ghcr.
    const replaced = await api(
      arca,
      'PUT',
      '/api/v1/credentials/GHCR?namespace=team',
      { type: 'GENERIC', payload: { token: 'abc' } },
      lead,
    );
    assert.equal(replaced.status, 200);
    const team = (await api(arca, 'GET', '/api/v1/credentials?namespace=team')).body.items as {
      name: string;
      type: string;
    }[];
    assert.deepEqual(
      team.map((c) => [c.name, c.type]),
      [['GHCR', 'GENERIC']],
    );
  });

  test('rotating the master key re-seals every credential; a restart still opens them', async () => {
    const keyFile = join(arca.dataDir, 'credentials.key');
    const before = JSON.parse(readFileSync(keyFile, 'utf8')) as { current: string };
    const rotated = await api(arca, 'POST', '/api/v1/credentials-key/rotate');
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.ok((rotated.body.resealed as number) >= 3);
    const after = JSON.parse(readFileSync(keyFile, 'utf8')) as {
      current: string;
      keys: Record<string, string>;
    };
    assert.notEqual(after.current, before.current);
    assert.deepEqual(Object.keys(after.keys), [after.current]);
    await arca.restart();
    const shown = await api(arca, 'GET', '/api/v1/credentials/ngc');
    assert.equal(shown.status, 200);
    assert.equal((shown.body.payload as Record<string, string>).auth, `****${ngcToken.slice(-4)}`);
    const test = await cli(['credential', 'test', 'team', '-o', 'json']);
    assert.equal((JSON.parse(test.stdout) as { ok: boolean }).ok, true);
  });
});

describe('credentials with ARCA_MASTER_KEY', () => {
  test('a new key with the old one as previous re-seals at start; a wrong key stops start-up with a clear error', async () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('hex');
    const arca = await startArca({ env: { ARCA_MASTER_KEY: oldKey } });
    const dataDir = arca.dataDir;
    try {
      const set = await api(
        arca,
        'PUT',
        '/api/v1/credentials/gen',
        { type: 'GENERIC', payload: { token: 'value-123' } },
        null,
      );
      assert.equal(set.status, 201);
      await arca.stop({ keep: true });
      const other = await startArca({
        dataDir,
        databaseUrl: arca.databaseUrl,
        env: { ARCA_MASTER_KEY: newKey, ARCA_MASTER_KEY_PREVIOUS: oldKey },
      });
      assert.equal((await api(other, 'GET', '/api/v1/credentials/gen', undefined, null)).status, 200);
      await other.stop({ keep: true });
      // Re-sealed at that start: the new key alone now opens it.
      const newOnly = await startArca({
        dataDir,
        databaseUrl: arca.databaseUrl,
        env: { ARCA_MASTER_KEY: newKey },
      });
      assert.equal((await api(newOnly, 'GET', '/api/v1/credentials/gen', undefined, null)).status, 200);
      await newOnly.stop({ keep: true });
      const wrong = await startArca({
        dataDir,
        databaseUrl: arca.databaseUrl,
        env: { ARCA_MASTER_KEY: randomBytes(32).toString('base64') },
      }).then(
        (s) => s,
        (err: Error) => err,
      );
      assert.ok(wrong instanceof Error, 'start-up must fail with a key that opens nothing');
      assert.match(wrong.message, /credentials: credential sealed with unknown master key/);
      const short = await startArca({
        dataDir,
        databaseUrl: arca.databaseUrl,
        env: { ARCA_MASTER_KEY: 'c2hvcnQ=' },
      }).then(
        (s) => s,
        (err: Error) => err,
      );
      assert.ok(short instanceof Error);
      assert.match(short.message, /ARCA_MASTER_KEY: expected a 32-byte key/);
    } finally {
      await removeTempDir(dataDir);
    }
  });
});
