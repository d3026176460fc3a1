import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/index.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { writeHtpasswd, type Credentials } from '../helpers/htpasswd.js';
import { buildImage, type BuiltImage } from '../helpers/images.js';
import { rawRequest } from '../helpers/raw-http.js';
import { apiCall, apiClient, errorCode, type Answer } from '../helpers/api-client.js';
import { dockerRef, skopeo, skopeoCopy } from '../helpers/skopeo.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait-for.js';

const admin: Credentials = { user: 'admin', pass: 'admin-Hardening-0042' };

/** One request from a chosen loopback address (to act as a distinct client), on a connection of its own. */
const send = (
  arca: RunningArca,
  method: string,
  path: string,
  opts: { auth?: Credentials | string; from?: string; body?: unknown } = {},
): Promise<Answer> =>
  apiCall(arca.url, method, path, {
    auth: typeof opts.auth === 'string' ? { bearer: opts.auth } : opts.auth,
    from: opts.from ?? '127.0.0.1',
    json: opts.body,
  });

const ok = (arca: RunningArca, method: string, path: string, body?: unknown): Promise<Answer> =>
  apiClient(arca.url, admin).ok(method, path, body);

/** A token from Arca's token endpoint (GET, Docker's protocol), and its refresh token when asked. */
async function token(
  arca: RunningArca,
  creds: Credentials,
  scopes: string[],
  offline = false,
): Promise<{ token: string; refresh?: string }> {
  const query = new URLSearchParams({ service: 'arca' });
  for (const s of scopes) query.append('scope', s);
  if (offline) query.set('offline_token', 'true');
  const answer = await send(arca, 'GET', `/auth/token?${query}`, { auth: creds });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return { token: answer.body.token as string, refresh: answer.body.refresh_token as string | undefined };
}

/** The parameters of one challenge (`Scheme k="v",k2="v2"`), quoted-string escapes undone. */
function challengeParams(header: string): { scheme: string; params: Record<string, string> } {
  const scheme = /^(\S+)\s*/.exec(header)?.[1] ?? '';
  const params: Record<string, string> = {};
  const param = /\s*([A-Za-z_]+)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  param.lastIndex = scheme.length + 1;
  while (param.lastIndex < header.length) {
    const m = param.exec(header);
    assert.ok(m, `not a well-formed challenge: ${header}`);
    params[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}

describe('hardening: access (Arca accounts)', () => {
  let arca: RunningArca;
  let work: TempDir;
  let image: BuiltImage;

  before(async () => {
    work = makeTempDir('arca-hardening-access-');
    image = await buildImage(join(work.path, 'layout'), 'v1', {
      layers: 1,
      seed: 'hardening',
      sizes: [1024],
    });
    arca = await startArca({
      auth: 'arca',
      env: { ARCA_ADMIN_PASSWORD: admin.pass },
      config: { access: { registries: ['team'] } },
    });
    for (const name of ['carol', 'dave', 'eve', 'fred', 'norole', 'victim']) {
      await ok(arca, 'POST', '/api/v1/users', { name, password: `pw-${name}-4711` });
    }
    for (const name of ['eve', 'fred']) {
      await ok(arca, 'POST', '/api/v1/role-assignments', {
        role: 'Owner',
        principal: { kind: 'user', name },
        scope: '/',
      });
    }
    await skopeoCopy(image.ref, dockerRef(arca.host, 'team/app', 'v1'), { destCreds: admin });
  });

  after(async () => {
    await arca?.stop();
    await work?.cleanup();
  });

  const user = (name: string): Credentials => ({ user: name, pass: `pw-${name}-4711` });

  test('hardening 3: a flood of refused pushes adds a bounded number of bounded rows; old rows are pruned by age', async (t) => {
    const meta = await openDatabase(arca.databaseUrl);
    try {
      const countRows = async () =>
        Number(
          (
            await meta.db
              .selectFrom('access_audit')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      await ok(arca, 'GET', '/api/v1/audit?limit=1'); // writes what is queued
      const rowsBefore = await countRows();
      const longName = `team/${'a'.repeat(3000)}`;
      const path = `/v2/${longName}/manifests/x`;
      const floodStart = Date.now();
      const until = floodStart + 3_000;
      let sent = 0;
      const statuses = new Map<number, number>();
      // 16 clients, each on its own keep-alive connection, refused as fast as the server answers.
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (Date.now() < until) {
            const res = await fetch(`${arca.url}${path}`, {
              method: 'PUT',
              headers: {
                'content-type': 'application/vnd.oci.image.manifest.v1+json',
                'user-agent': 'x'.repeat(4000),
              },
              body: '{}',
            });
            await res.arrayBuffer();
            sent++;
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          }
        }),
      );
      assert.deepEqual([...statuses.keys()], [401]);
      // Reading the log writes the counts sampled so far.
      await ok(arca, 'GET', '/api/v1/audit?limit=1');
      const rows = await meta.db
        .selectFrom('access_audit')
        .selectAll()
        .where('at', '>=', floodStart)
        .execute();
      const added = (await countRows()) - rowsBefore;
      const bytes = rows.map((r) => Buffer.byteLength(JSON.stringify(r)));
      const maxRow = Math.max(...bytes);
      const pushRefusals = rows.filter((r) => r.action === 'oci.push' && r.outcome === 'unauthorized');
      // A row stands for one refusal, or for `repeated` more like the first of its window.
      const counted = pushRefusals.reduce(
        (sum, r) => sum + (((r.detail ? JSON.parse(r.detail) : {}) as { repeated?: number }).repeated ?? 1),
        0,
      );
      t.diagnostic(
        `hardening 3: ${sent} refused PUTs in 3 s from 16 connections -> ${added} audit rows, largest ${maxRow} bytes; counts add up to ${counted}`,
      );
      assert.ok(sent > 100, `only ${sent} requests were sent`);
      assert.ok(added <= 10, `${added} rows for ${sent} refusals`);
      assert.ok(maxRow <= 2_048, `a row of ${maxRow} bytes`);
      assert.equal(counted, sent, 'the rows account for every refusal');

      // Pruning by age: events older than the retention (90 days by default) and ended refresh tokens go.
      const old = Date.now() - 100 * 86_400_000;
      await meta.db
        .insertInto('access_audit')
        .values(
          Array.from({ length: 50 }, (_, i) => ({
            id: `${String(old + i).padStart(13, '0')}-000000-oldone`,
            at: old + i,
            actor: null,
            actor_kind: null,
            action: 'oci.push',
            resource: null,
            method: 'PUT',
            path: '/v2/old',
            outcome: 'unauthorized',
            status: 401,
            remote: '127.0.0.1',
            request_id: null,
            detail: null,
          })),
        )
        .execute();
      const { refresh } = await token(arca, user('carol'), [], true);
      assert.ok(refresh);
      const refreshToken = (expires_at: number, id: string) => ({
        id,
        subject_kind: 'user',
        subject_name: 'carol',
        secret_hash: 'x',
        created_at: old,
        expires_at,
        last_used_at: null,
        revoked_at: null,
      });
      await meta.db
        .insertInto('access_refresh_tokens')
        .values([
          refreshToken(old + 1000, 'expired-long-ago'),
          refreshToken(Date.now() - 1000, 'just-expired'),
        ])
        .execute();
      // Pruning runs a second after start, then hourly (`access.audit.pruneinterval`).
      await arca.restart();
      const oldLeft = await waitFor(
        async () =>
          Number(
            (
              await meta.db
                .selectFrom('access_audit')
                .select((eb) => eb.fn.countAll().as('n'))
                .where('at', '<', old + 1000)
                .executeTakeFirstOrThrow()
            ).n,
          ),
        (n) => n === 0,
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      assert.equal(oldLeft, 0, 'events older than the retention are removed');
      const recent = await meta.db
        .selectFrom('access_audit')
        .select('id')
        .where('at', '>=', floodStart)
        .execute();
      assert.equal(recent.length, rows.length, 'recent events stay');
      const tokens = await meta.db.selectFrom('access_refresh_tokens').select(['id', 'expires_at']).execute();
      assert.ok(
        !tokens.some((r) => r.id === 'expired-long-ago' || r.id === 'just-expired'),
        'ended refresh tokens go',
      );
      assert.ok(tokens.length >= 1, 'live refresh tokens stay');
      t.diagnostic(
        `hardening 3: 50 events of 100 days ago and 2 expired refresh tokens pruned; ${tokens.length} live tokens kept`,
      );
    } finally {
      await meta.close();
    }
  });

  test('hardening 4: of 60 simultaneous wrong passwords only the first few are checked', async (t) => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        send(arca, 'GET', '/v2/', { auth: { user: 'victim', pass: `guess-${i}-wrong` }, from: '127.0.0.3' }),
      ),
    );
    const checked = answers.filter((a) => a.status === 401).length;
    const throttled = answers.filter((a) => a.status === 429).length;
    t.diagnostic(
      `hardening 4: 60 simultaneous wrong passwords -> ${checked} checked (401), ${throttled} throttled (429)`,
    );
    assert.equal(checked + throttled, 60);
    assert.ok(checked <= 10, `${checked} of 60 were checked`);
    assert.ok(
      answers.filter((a) => a.status === 429).every((a) => Number(a.headers.get('retry-after')) >= 1),
    );
  });

  test('hardening 4: the right password inside a burst of 40 wrong ones from one address is refused; a client burst with the right one is not', async (t) => {
    const wrong = (i: number) =>
      send(arca, 'GET', '/api/v1/me', { auth: { user: 'carol', pass: `nope-${i}-nope` }, from: '127.0.0.4' });
    const first = Array.from({ length: 20 }, (_, i) => wrong(i));
    // Still inside the burst (its first checks are running), after its first guesses have arrived.
    await new Promise((r) => setTimeout(r, 100));
    const right = send(arca, 'GET', '/api/v1/me', { auth: user('carol'), from: '127.0.0.4' });
    const rest = Array.from({ length: 20 }, (_, i) => wrong(20 + i));
    const wrongAnswers = await Promise.all([...first, ...rest]);
    const rightAnswer = await right;
    const checked = wrongAnswers.filter((a) => a.status === 401).length;
    t.diagnostic(
      `hardening 4: burst of 40 wrong + 1 right from one address -> right one ${rightAnswer.status}, ${checked} wrong checked, ${40 - checked} throttled`,
    );
    assert.equal(rightAnswer.status, 429, 'the right password inside the burst is refused');
    assert.ok(checked <= 10, `${checked} of 40 were checked`);
    // The account's owner from another address still signs in; a client of its own sends 20 at once.
    const own = await Promise.all(
      Array.from({ length: 20 }, () =>
        send(arca, 'GET', '/api/v1/me', { auth: user('dave'), from: '127.0.0.5' }),
      ),
    );
    assert.deepEqual(
      own.map((a) => a.status),
      Array(20).fill(200),
    );
    assert.equal(
      (await send(arca, 'GET', '/api/v1/me', { auth: user('carol'), from: '127.0.0.6' })).status,
      200,
    );
  });

  test('hardening 5: disabling or deleting an account stops its live tokens at once on /v2 and /api/v1', async () => {
    const eve = user('eve');
    const { token: eveToken, refresh } = await token(arca, eve, ['repository:team/app:pull'], true);
    assert.equal((await send(arca, 'GET', '/v2/team/app/manifests/v1', { auth: eveToken })).status, 200);
    assert.equal((await send(arca, 'GET', '/api/v1/me', { auth: eveToken })).status, 200);
    // Tokens say when they were issued in whole seconds: let this one be surely older than the change.
    await new Promise((r) => setTimeout(r, 1_100));
    await ok(arca, 'PATCH', '/api/v1/users/eve', { disabled: true });
    const pull = await send(arca, 'GET', '/v2/team/app/manifests/v1', { auth: eveToken });
    assert.equal(pull.status, 401);
    assert.equal(errorCode(pull), 'UNAUTHORIZED');
    assert.match(String(pull.headers.get('www-authenticate')), /error="invalid_token"/);
    assert.equal((await send(arca, 'GET', '/api/v1/me', { auth: eveToken })).status, 401);
    // The disabled Owner cannot make anyone an Owner.
    const grant = await send(arca, 'POST', '/api/v1/role-assignments', {
      auth: eveToken,
      body: { role: 'Owner', principal: { kind: 'user', name: 'norole' }, scope: '/' },
    });
    assert.equal(grant.status, 401);
    const assigned = (await ok(arca, 'GET', '/api/v1/role-assignments')).body.items as {
      principal: { name: string };
    }[];
    assert.ok(!assigned.some((a) => a.principal.name === 'norole'));
    const refreshed = await fetch(`${arca.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh!, service: 'arca' }),
    });
    assert.equal(refreshed.status, 401);
    // Enabled again, the account starts over: the token of before stays ended, a new one works.
    await ok(arca, 'PATCH', '/api/v1/users/eve', { disabled: false });
    assert.equal((await send(arca, 'GET', '/v2/team/app/manifests/v1', { auth: eveToken })).status, 401);
    const { token: fresh } = await token(arca, eve, ['repository:team/app:pull']);
    assert.equal((await send(arca, 'GET', '/v2/team/app/manifests/v1', { auth: fresh })).status, 200);

    const { token: fredToken } = await token(arca, user('fred'), ['repository:team/app:pull']);
    await ok(arca, 'DELETE', '/api/v1/users/fred');
    assert.equal((await send(arca, 'GET', '/v2/team/app/manifests/v1', { auth: fredToken })).status, 401);
    assert.equal((await send(arca, 'GET', '/api/v1/users', { auth: fredToken })).status, 401);

    // A service account's tokens end when it is disabled.
    await ok(arca, 'POST', '/api/v1/service-accounts', { name: 'robot', description: 'ci' });
    await ok(arca, 'POST', '/api/v1/role-assignments', {
      role: 'Reader',
      principal: { kind: 'service-account', name: 'robot' },
      scope: '/',
    });
    const key = (await ok(arca, 'POST', '/api/v1/service-accounts/robot/api-keys', { name: 'k' })).body
      .key as string;
    const { token: robotToken } = await token(arca, { user: 'robot', pass: key }, [
      'repository:team/app:pull',
    ]);
    assert.equal((await send(arca, 'GET', '/v2/team/app/manifests/v1', { auth: robotToken })).status, 200);
    await ok(arca, 'PATCH', '/api/v1/service-accounts/robot', { disabled: true });
    assert.equal((await send(arca, 'GET', '/v2/team/app/manifests/v1', { auth: robotToken })).status, 401);
    assert.equal((await send(arca, 'GET', '/v2/team/app/manifests/v1', { auth: key })).status, 401);
  });

  test('hardening 11a: a Host header with quotes and commas cannot add parameters to the challenge', async () => {
    const evil = `127.0.0.1", error="injected", realm="http://evil.example`;
    const answer = await rawRequest(arca.url, 'GET', '/v2/team/app/manifests/v1', {
      headers: { Host: evil },
    });
    assert.equal(answer.status, 401);
    const { scheme, params } = challengeParams(answer.headers['www-authenticate'] ?? '');
    assert.equal(scheme, 'Bearer');
    assert.deepEqual(Object.keys(params).sort(), ['realm', 'scope', 'service']);
    assert.equal(params.realm, `http://${evil}/auth/token`);
    assert.equal(params.scope, 'repository:team/app:pull');

    // With the public URL configured, the realm no longer comes from the request at all.
    const configured = await startArca({
      auth: 'arca',
      env: { ARCA_ADMIN_PASSWORD: admin.pass },
      config: { http: { host: 'https://registry.example.test/' } },
    });
    try {
      const again = await rawRequest(configured.url, 'GET', '/v2/', { headers: { Host: evil } });
      assert.equal(
        again.headers['www-authenticate'],
        'Bearer realm="https://registry.example.test/auth/token",service="arca"',
      );
    } finally {
      await configured.stop();
    }
  });

  test('hardening 19: a signed-in user with no roles gets 200 and an empty /v2/_catalog', async () => {
    const norole = user('norole');
    const withPassword = await send(arca, 'GET', '/v2/_catalog', { auth: norole });
    assert.equal(withPassword.status, 200, JSON.stringify(withPassword.body));
    assert.deepEqual(withPassword.body, { repositories: [] });
    const { token: catalogToken } = await token(arca, norole, ['registry:catalog:*']);
    const withToken = await send(arca, 'GET', '/v2/_catalog', { auth: catalogToken });
    assert.equal(withToken.status, 200, JSON.stringify(withToken.body));
    assert.deepEqual(withToken.body, { repositories: [] });
    // The admin sees the repository, so the list above was filtered, not empty.
    assert.deepEqual((await ok(arca, 'GET', '/v2/_catalog')).body, { repositories: ['team/app'] });
  });
});

describe('hardening: access (htpasswd)', () => {
  let arca: RunningArca;
  let work: TempDir;
  let image: BuiltImage;
  const alice: Credentials = { user: 'alice', pass: 'alice-file-pass' };
  const bob: Credentials = { user: 'bob', pass: 'bob-file-pass' };

  before(async () => {
    work = makeTempDir('arca-hardening-htpasswd-');
    const path = join(work.path, 'htpasswd');
    await writeHtpasswd(join(work.path, 'alice'), alice);
    await writeHtpasswd(join(work.path, 'bob'), bob);
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(
      path,
      readFileSync(join(work.path, 'alice'), 'utf8') + readFileSync(join(work.path, 'bob'), 'utf8'),
    );
    image = await buildImage(join(work.path, 'layout'), 'v1', {
      layers: 1,
      seed: 'hardening-ht',
      sizes: [1024],
    });
    arca = await startArca({
      config: { auth: { htpasswd: { realm: 'basic-realm', path, admins: ['alice'] } } },
    });
  });

  after(async () => {
    await arca?.stop();
    await work?.cleanup();
  });

  test('hardening 11c: an htpasswd user may pull and push but not manage access; auth.htpasswd.admins may', async () => {
    await skopeoCopy(image.ref, dockerRef(arca.host, 'shared/app', 'v1'), { destCreds: bob });
    const pulled = await skopeo(
      [
        'inspect',
        '--tls-verify=false',
        '--creds',
        `${bob.user}:${bob.pass}`,
        '--raw',
        `docker://${arca.host}/shared/app:v1`,
      ],
      { check: false },
    );
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal((await send(arca, 'GET', '/v2/_catalog', { auth: bob })).status, 200);
    for (const [method, path, body] of [
      ['GET', '/api/v1/users', undefined],
      ['POST', '/api/v1/users', { name: 'mallory', password: 'mallory-password' }],
      [
        'POST',
        '/api/v1/role-assignments',
        { role: 'Owner', principal: { kind: 'user', name: 'bob' }, scope: '/' },
      ],
      ['GET', '/api/v1/credentials', undefined],
    ] as const) {
      const answer = await send(arca, method, path, { auth: bob, body });
      assert.equal(answer.status, 403, `${method} ${path}: ${answer.status}`);
    }
    assert.equal((await send(arca, 'GET', '/api/v1/users', { auth: alice })).status, 200);
    const created = await send(arca, 'POST', '/api/v1/users', {
      auth: alice,
      body: { name: 'carl', password: 'carl-password-1' },
    });
    assert.equal(created.status, 201);
  });

  test('hardening 16b: an anonymous pull under htpasswd says "authentication required", with a Basic challenge', async () => {
    const inspected = await skopeo(
      ['inspect', '--tls-verify=false', '--no-creds', '--raw', `docker://${arca.host}/shared/app:v1`],
      { check: false },
    );
    assert.notEqual(inspected.code, 0);
    assert.match(inspected.stderr, /authentication required/);
    assert.doesNotMatch(inspected.stderr, /unsupported authorization scheme/);
    // What containers/image sends when it has no credentials for a Basic challenge.
    for (const header of ['Basic Og==', 'Basic ']) {
      const answer = await rawRequest(arca.url, 'GET', '/v2/shared/app/manifests/v1', {
        headers: { Authorization: header },
      });
      assert.equal(answer.status, 401);
      assert.equal(answer.headers['www-authenticate'], 'Basic realm="basic-realm"');
      const body = JSON.parse(answer.body) as { errors: { code: string; message: string }[] };
      assert.equal(body.errors[0]!.code, 'UNAUTHORIZED');
      assert.equal(body.errors[0]!.message, 'authentication required');
    }
  });
});
