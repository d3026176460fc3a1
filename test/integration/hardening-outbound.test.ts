import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { apiCall, type Auth } from '../helpers/api-client.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { dialects } from '../helpers/dialects.js';
import type { ExecResult } from '../helpers/exec.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { arcaCli } from '../helpers/arca-cli.js';
import { tcpServer } from '../helpers/tcp-server.js';
import { httpServer } from '../helpers/http-server.js';
import { waitFor } from '../helpers/wait-for.js';

const adminPassword = 'outbound-admin-Pass-7';
const admin = { user: 'admin', pass: adminPassword };

/** A JSON call as `auth`: the admin unless given (null: nobody). */
const api = (arca: RunningArca, method: string, path: string, body?: unknown, auth: Auth = admin) =>
  apiCall(arca.url, method, path, { auth, json: body });

/** An attacker's HTTP server: answers like a registry wanting credentials, records every Authorization. */
async function listener() {
  const authorizations: (string | undefined)[] = [];
  const server = await httpServer((req, res) => {
    authorizations.push(req.headers.authorization);
    res.writeHead(401, {
      'Docker-Distribution-API-Version': 'registry/2.0',
      'WWW-Authenticate': 'Basic realm="x"',
    });
    res.end();
  });
  return { port: server.port, url: server.url, authorizations, close: server.close };
}

/** TCP connections from anyone (here: only Arca) to `port`, as `ss` sees them. */
function connectionsTo(port: number): number {
  const out = execFileSync('ss', ['-Htn', 'state', 'established', `dport = :${port}`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

for (const dialect of dialects()) {
  describe(`hardening 2: stored credentials reach only the origin they were stored for (${dialect})`, () => {
    let arca: RunningArca;
    let attacker: Awaited<ReturnType<typeof listener>>;
    const ngcToken = `nvapi-${randomBytes(24).toString('hex')}`;
    const tlsSecret = `tls-${randomBytes(16).toString('hex')}`;
    const secrets = () => [ngcToken, tlsSecret];
    const leaked = () =>
      attacker.authorizations.filter(
        (a) =>
          a !== undefined && secrets().some((s) => Buffer.from(a.slice(6), 'base64').toString().includes(s)),
      );

    before(async () => {
      attacker = await listener();
      arca = await startArca({
        dialect,
        auth: 'arca',
        env: { ARCA_ADMIN_PASSWORD: adminPassword },
        // The background checker runs every second here, so it is seen presenting (or not) too.
        config: { catalog: { healthcheck: { interval: '1s', timeout: '2s' } } },
      });
      for (const [name, payload] of [
        ['ngc', { registry: 'nvcr.io', username: '$oauthtoken', auth: ngcToken }],
        // Stored for https on the attacker's host and port: must never travel over plain http.
        ['tls-only', { registry: `https://127.0.0.1:${attacker.port}`, username: 'u', auth: tlsSecret }],
      ] as const) {
        const set = await api(arca, 'PUT', `/api/v1/credentials/${name}`, { type: 'REGISTRY', payload });
        assert.equal(set.status, 201, JSON.stringify(set.body));
      }
      for (const [name, password] of [
        ['reader', 'reader-pass-1'],
        ['writer', 'writer-pass-1'],
      ] as const) {
        assert.equal((await api(arca, 'POST', '/api/v1/users', { name, password })).status, 201);
      }
      const role = await api(arca, 'POST', '/api/v1/roles', {
        name: 'CatalogEditor',
        permissions: ['catalog/read', 'catalog/write'],
      });
      assert.equal(role.status, 201, JSON.stringify(role.body));
      for (const [role, name] of [
        ['Reader', 'reader'],
        ['CatalogEditor', 'writer'],
      ]) {
        const assigned = await api(arca, 'POST', '/api/v1/role-assignments', {
          role,
          principal: { kind: 'user', name },
          scope: '/',
        });
        assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
      }
    });
    after(async () => {
      await arca?.stop();
      await attacker?.close();
    });

    test('hardening 2: an entry naming a credential stored for another host is checked (by a Reader and the background checker) and the listener never sees the secret', async () => {
      const created = await api(arca, 'POST', '/container_registry', {
        container_registry_name: 'attacker',
        container_registry_public_url: attacker.url,
        container_registry_config: { credential: 'ngc' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = (created.body.data as { id: string }).id;
      const reader = { user: 'reader', pass: 'reader-pass-1' };
      const checked = await api(arca, 'GET', `/check_container_health/${id}`, undefined, reader);
      assert.equal(checked.status, 200, JSON.stringify(checked.body));
      // Wait for the background checker's own round (every second) to reach the listener too.
      await waitFor(
        () => attacker.authorizations.length,
        (n) => n >= 3,
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      assert.ok(attacker.authorizations.length >= 3, `${attacker.authorizations.length} checks arrived`);
      assert.deepEqual(leaked(), []);
      assert.ok(
        attacker.authorizations.every((a) => a === undefined),
        'no Authorization header at all',
      );
    });

    test('hardening 2: a credential stored for https://host:port is not sent to http://host:port', async () => {
      const before = attacker.authorizations.length;
      const created = await api(arca, 'POST', '/container_registry', {
        container_registry_name: 'downgrade',
        container_registry_public_url: attacker.url,
        container_registry_config: { credential: 'tls-only' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = (created.body.data as { id: string }).id;
      assert.equal((await api(arca, 'GET', `/check_container_health/${id}`)).status, 200);
      assert.ok(attacker.authorizations.length > before);
      assert.deepEqual(leaked(), []);
      // Nor to the same host by the host-only match of old (no credential named at all).
      const unnamed = await api(arca, 'POST', '/container_registry', {
        container_registry_name: 'unnamed',
        container_registry_public_url: attacker.url,
      });
      const unnamedId = (unnamed.body.data as { id: string }).id;
      assert.equal((await api(arca, 'GET', `/check_container_health/${unnamedId}`)).status, 200);
      assert.deepEqual(leaked(), []);
    });

    test('hardening 2: a user with catalog/write but no credential permission cannot name a credential', async () => {
      const writer = { user: 'writer', pass: 'writer-pass-1' };
      const refused = await api(
        arca,
        'POST',
        '/container_registry',
        {
          container_registry_id: 'writers-entry',
          container_registry_public_url: attacker.url,
          container_registry_config: { credential: 'ngc' },
        },
        writer,
      );
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.success, false);
      assert.match(String(refused.body.error), /credentials\/read/);
      assert.equal(
        (await api(arca, 'GET', '/container_registry/writers-entry')).status,
        404,
        'nothing created',
      );
      // Without a credential the same writer may create it; naming one later by update is refused too.
      const plain = await api(
        arca,
        'POST',
        '/container_registry',
        { container_registry_id: 'writers-entry', container_registry_public_url: attacker.url },
        writer,
      );
      assert.equal(plain.status, 201, JSON.stringify(plain.body));
      const update = await api(
        arca,
        'PUT',
        '/container_registry/writers-entry',
        { $set: { 'container_registry_config.credential': 'ngc' } },
        writer,
      );
      assert.equal(update.status, 403, JSON.stringify(update.body));
      const api1 = await api(
        arca,
        'PATCH',
        '/api/v1/catalog/entries/writers-entry',
        { $set: { container_registry_config: { credential: 'NGC' } } },
        writer,
      );
      assert.equal(api1.status, 403, JSON.stringify(api1.body));
      const after = await api(arca, 'GET', '/container_registry/writers-entry');
      assert.deepEqual(
        (after.body.data as { container_registry_config?: unknown }).container_registry_config ?? {},
        {},
      );
      // The admin (credentials/read at /) may.
      const admin = await api(arca, 'PUT', '/container_registry/writers-entry', {
        $set: { 'container_registry_config.credential': 'ngc' },
      });
      assert.equal(admin.status, 200, JSON.stringify(admin.body));
    });
  });
}

describe('hardening 7 and 16c: outbound requests are bounded, release their sockets, and name failures coarsely', () => {
  let arca: RunningArca;
  let registry: RunningRegistry2;
  let work: TempDir;
  const registryUser = { user: 'puller', pass: 'registry-pass-16' };
  const cli = (args: string[]): Promise<ExecResult> =>
    arcaCli({ server: arca.url, username: 'admin', password: adminPassword, configHome: work.path }, args);
  const entry = async (name: string, url: string) => {
    const created = await api(arca, 'POST', '/container_registry', {
      container_registry_name: name,
      container_registry_public_url: url,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return (created.body.data as { id: string }).id;
  };

  before(async () => {
    work = makeTempDir('arca-outbound-');
    [arca, registry] = await Promise.all([
      startArca({
        auth: 'arca',
        env: { ARCA_ADMIN_PASSWORD: adminPassword, ARCA_OUTBOUND_TIMEOUT: '2s' },
        // Background work that would also reach the silent port is off: the sockets counted are the checks'.
        config: {
          catalog: { healthcheck: { interval: 0, timeout: '5s' } },
          registries: { probeinterval: 0 },
          storage: { maintenance: { uploadpurging: { enabled: false } } },
        },
      }),
      startRegistry2({ htpasswd: registryUser }),
    ]);
  });
  after(async () => {
    await Promise.all([arca?.stop(), registry?.stop()]);
    await work?.cleanup();
  });

  test(
    'hardening 7: health check, credential test and registry probe against a port that accepts and never answers end within the timeout and leave no socket',
    { timeout: 90_000 },
    async (t) => {
      const silent = await tcpServer();
      try {
        const socketsBefore = connectionsTo(silent.port);
        const id = await entry('silent', `http://127.0.0.1:${silent.port}`);
        let started = performance.now();
        const health = await api(arca, 'GET', `/check_container_health/${id}`);
        const healthMs = Math.round(performance.now() - started);
        assert.equal(health.status, 502);
        assert.match(String(health.body.error), /no answer within 2000 ms/);

        const set = await api(arca, 'PUT', '/api/v1/credentials/silent', {
          type: 'REGISTRY',
          payload: { registry: `http://127.0.0.1:${silent.port}`, username: 'u', auth: 'p' },
        });
        assert.equal(set.status, 201);
        started = performance.now();
        const tested = await api(arca, 'POST', '/api/v1/credentials/silent/test');
        const testMs = Math.round(performance.now() - started);
        assert.equal(tested.body.ok, false);
        assert.match(String(tested.body.message), /no answer within 2000 ms/);

        // A registry whose bucket endpoint is that port (https: a TLS handshake that never completes).
        const data = await api(arca, 'PUT', '/api/v1/credentials/silent-bucket', {
          type: 'DATA',
          payload: { access_key_id: 'AKIA', access_key: 'secret' },
        });
        assert.equal(data.status, 201);
        started = performance.now();
        const created = await api(arca, 'POST', '/api/v1/registries', {
          name: 'silentbucket',
          backend: {
            s3: {
              endpoint: `https://127.0.0.1:${silent.port}`,
              bucket: 'models',
              credential: 'silent-bucket',
            },
          },
        });
        const createMs = Math.round(performance.now() - started);
        // And a bucket credential test against it.
        const bucketKeys = await api(arca, 'PUT', '/api/v1/credentials/silent-endpoint', {
          type: 'DATA',
          payload: {
            access_key_id: 'AKIA',
            access_key: 'secret',
            endpoint: `https://127.0.0.1:${silent.port}`,
          },
        });
        assert.equal(bucketKeys.status, 201);
        started = performance.now();
        const bucketTest = await api(arca, 'POST', '/api/v1/credentials/silent-endpoint/test?bucket=models');
        const bucketMs = Math.round(performance.now() - started);
        assert.equal(bucketTest.body.ok, false);
        assert.match(String(bucketTest.body.message), /no answer within 2000 ms/);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal(created.body.state, 'Error');
        assert.match(String(created.body.state_reason), /no answer within 2000 ms/);

        // Closing races the response by a few milliseconds: allow a moment, then count.
        await waitFor(
          () => connectionsTo(silent.port) + silent.open(),
          (n) => n === 0,
          { timeoutMs: 3000, intervalMs: 50 },
        );
        const socketsAfter = connectionsTo(silent.port);
        t.diagnostic(
          `silent port: health check ${healthMs} ms, credential test ${testMs} ms, registry create (CORS set-up + probe) ${createMs} ms, bucket credential test ${bucketMs} ms; ` +
            `Arca's connections to it before ${socketsBefore}, after ${socketsAfter}; open on the server side ${silent.open()}`,
        );
        assert.ok(healthMs < 5000, `health check took ${healthMs} ms`);
        assert.ok(testMs < 5000, `credential test took ${testMs} ms`);
        assert.ok(createMs < 12_000, `registry create took ${createMs} ms`);
        assert.ok(bucketMs < 5000, `bucket credential test took ${bucketMs} ms`);
        assert.equal(socketsAfter, 0);
        assert.equal(silent.open(), 0);
      } finally {
        await silent.close();
      }
    },
  );

  test('hardening 7: a TCP server answering garbage gives a coarse error; 169.254.169.254 is denied by policy', async () => {
    const garbage = await tcpServer((s) => s.end('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'));
    try {
      const id = await entry('garbage', `http://127.0.0.1:${garbage.port}`);
      const health = await api(arca, 'GET', `/check_container_health/${id}`);
      assert.equal(health.status, 502);
      const text = JSON.stringify(health.body);
      assert.match(text, /not an HTTP server/);
      assert.doesNotMatch(text, /Parse Error|Expected HTTP|socket hang up|SSH/);
      // The same garbage as a bucket endpoint (https): the registry's state says as little.
      const keys = await api(arca, 'PUT', '/api/v1/credentials/junk-bucket', {
        type: 'DATA',
        payload: { access_key_id: 'AKIA', access_key: 'secret' },
      });
      assert.equal(keys.status, 201);
      const junk = await api(arca, 'POST', '/api/v1/registries', {
        name: 'junkbucket',
        backend: {
          s3: { endpoint: `127.0.0.1:${garbage.port}`, bucket: 'models', credential: 'junk-bucket' },
        },
      });
      assert.equal(junk.status, 201, JSON.stringify(junk.body));
      assert.equal(junk.body.state, 'Error');
      assert.match(String(junk.body.state_reason), /: (TLS failure|not an HTTP server|unreachable)$/);
      assert.doesNotMatch(String(junk.body.state_reason), /SSL|wrong version|Parse Error|hang up|SSH|ECONN/);
    } finally {
      await garbage.close();
    }
    const metadata = await entry('metadata', 'http://169.254.169.254');
    const started = performance.now();
    const denied = await api(arca, 'GET', `/check_container_health/${metadata}`);
    assert.equal(denied.status, 502);
    assert.match(String(denied.body.error), /169\.254\.169\.254 is denied by the outbound policy/);
    assert.ok(performance.now() - started < 1500, 'refused at once, without a connection attempt');
    const set = await api(arca, 'PUT', '/api/v1/credentials/metadata', {
      type: 'REGISTRY',
      payload: { registry: 'http://169.254.169.254', auth: 'x' },
    });
    assert.equal(set.status, 201);
    const tested = await api(arca, 'POST', '/api/v1/credentials/metadata/test');
    assert.match(String(tested.body.message), /denied by the outbound policy/);
    // The object-store paths too: a bucket credential test and a registry's own bucket.
    const bucketCredential = await api(arca, 'PUT', '/api/v1/credentials/metadata-bucket', {
      type: 'DATA',
      payload: { access_key_id: 'AKIA', access_key: 'secret', endpoint: 'https://169.254.169.254' },
    });
    assert.equal(bucketCredential.status, 201);
    for (const query of ['', '?bucket=models']) {
      const bucketTest = await api(arca, 'POST', `/api/v1/credentials/metadata-bucket/test${query}`);
      assert.equal(bucketTest.body.ok, false);
      assert.match(String(bucketTest.body.message), /169\.254\.169\.254 is denied by the outbound policy/);
    }
    const registryStarted = performance.now();
    const created = await api(arca, 'POST', '/api/v1/registries', {
      name: 'metadata',
      backend: { s3: { endpoint: '169.254.169.254', bucket: 'models', credential: 'metadata-bucket' } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, 'Error');
    assert.match(String(created.body.state_reason), /169\.254\.169\.254 is denied by the outbound policy/);
    assert.ok(performance.now() - registryStarted < 1500, 'refused at once');
  });

  test('hardening 16c: credential test of a plain-HTTP htpasswd registry works, with the scheme the health check uses', async () => {
    const set = await cli([
      'credential',
      'set',
      'plain',
      '--type',
      'REGISTRY',
      '--payload',
      `registry=${registry.url}`,
      `username=${registryUser.user}`,
      `auth=${registryUser.pass}`,
    ]);
    assert.equal(set.code, 0, set.stderr);
    const ok = await cli(['credential', 'test', 'plain']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK: GET http:\/\/127\.0\.0\.1:\d+\/v2\/: logged in \(Basic\)/);
    const id = await entry('plain', registry.url);
    const health = await api(arca, 'GET', `/check_container_health/${id}`);
    assert.equal((health.body.data as { status_code: number }).status_code, 200, 'presented over http');
    // Written as a bare host it means https (as docker reads it): the test says so and how to write it,
    // and the health check of the http URL does not present it either (same rule, same function).
    await cli(['credential', 'delete', 'plain']);
    const bare = await cli([
      'credential',
      'set',
      'bare',
      '--type',
      'REGISTRY',
      '--payload',
      `registry=${registry.host}`,
      `username=${registryUser.user}`,
      `auth=${registryUser.pass}`,
    ]);
    assert.equal(bare.code, 0, bare.stderr);
    const failed = await cli(['credential', 'test', 'bare']);
    assert.equal(failed.code, 3);
    assert.match(failed.stdout, /TLS failure.*store[sd]? as registry=http:\/\/127\.0\.0\.1:\d+/);
    const anonymous = await api(arca, 'GET', `/check_container_health/${id}`);
    assert.equal((anonymous.body.data as { status_code: number }).status_code, 401);
  });
});
