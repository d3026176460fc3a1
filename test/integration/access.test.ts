import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, importJWK, type JWK } from 'jose';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { buildImage, type BuiltImage } from '../helpers/images.js';
import { dockerRef, skopeo, skopeoCopy, skopeoInspectDigest } from '../helpers/skopeo.js';
import { Podman } from '../helpers/podman.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { writeHtpasswd, type Credentials } from '../helpers/htpasswd.js';
import { apiCall, apiClient, errorCode, type Answer, type Auth } from '../helpers/api-client.js';

const adminPassword = 'admin-Secret-0042';
const admin: Credentials = { user: 'admin', pass: adminPassword };

const call = (arca: RunningArca, method: string, path: string, auth: Auth, body?: unknown): Promise<Answer> =>
  apiCall(arca.url, method, path, { auth, json: body });

const ok = (arca: RunningArca, method: string, path: string, body?: unknown): Promise<Answer> =>
  apiClient(arca.url, admin).ok(method, path, body);

/** A token from the token endpoint (GET, Docker's protocol). */
async function token(arca: RunningArca, creds: Credentials | undefined, scopes: string[]): Promise<string> {
  const query = new URLSearchParams({ service: 'arca' });
  for (const s of scopes) query.append('scope', s);
  const answer = await call(arca, 'GET', `/auth/token?${query}`, creds);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.token as string;
}

/** GET from a given local address, to act as a different client. */
async function getFrom(
  localAddress: string,
  url: string,
  auth: Credentials,
): Promise<{ status: number; retryAfter?: string }> {
  const answer = await apiCall(url, 'GET', url, { auth, from: localAddress });
  return { status: answer.status, retryAfter: answer.headers.get('retry-after') ?? undefined };
}

/** Sign a token with the server's own current key, with the claims a test wants to get wrong. */
async function forge(
  arca: RunningArca,
  claims: Record<string, unknown>,
  opts: { exp: number; aud: string; iss: string; iat?: number },
) {
  const dir = join(arca.dataDir, 'keys');
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .sort()
    .at(-1)!;
  const file = JSON.parse(readFileSync(join(dir, newest), 'utf8')) as { kid: string; alg: string; jwk: JWK };
  const key = await importJWK(file.jwk, file.alg);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: file.alg, kid: file.kid, typ: 'JWT' })
    .setIssuer(opts.iss)
    .setAudience(opts.aud)
    .setSubject('admin')
    .setIssuedAt(opts.iat ?? Math.floor(Date.now() / 1000) - 600)
    .setNotBefore(Math.floor(Date.now() / 1000) - 600)
    .setExpirationTime(opts.exp)
    .sign(key);
}

describe('access control: Arca accounts, tokens and roles', () => {
  let arca: RunningArca;
  let work: TempDir;
  let image: BuiltImage;
  let host: string;
  const secrets: string[] = [adminPassword];
  const users = ['reader', 'contrib', 'owner2', 'publisher', 'puller', 'nobody'] as const;
  type User = (typeof users)[number];
  const creds = Object.fromEntries(users.map((u) => [u, { user: u, pass: `pw-${u}-7f3a91` }])) as Record<
    User,
    Credentials
  >;

  before(async () => {
    work = makeTempDir('arca-access-');
    image = await buildImage(join(work.path, 'layout'), 'v1', { layers: 1, seed: 'access', sizes: [4096] });
    arca = await startArca({
      auth: 'arca',
      env: { ARCA_ADMIN_PASSWORD: adminPassword },
      config: {
        log: { level: 'debug' },
        access: {
          registries: ['team', 'pub'],
          anonymouspull: ['pub'],
          throttle: { basedelay: '200ms', maxdelay: '5s' },
        },
      },
    });
    host = arca.host;
    for (const u of users) {
      secrets.push(creds[u].pass);
      await ok(arca, 'POST', '/api/v1/users', { name: u, password: creds[u].pass });
    }
    await ok(arca, 'POST', '/api/v1/roles', {
      name: 'Puller',
      description: 'pull only',
      permissions: ['registries/read', 'registries/assets/read'],
    });
    const assign = (role: string, name: string, scope = '/') =>
      ok(arca, 'POST', '/api/v1/role-assignments', { role, principal: { kind: 'user', name }, scope });
    await assign('Reader', 'reader');
    await assign('Contributor', 'contrib');
    await assign('Owner', 'owner2');
    await assign('AssetPublisher', 'publisher', '/registries/team');
    await assign('Puller', 'puller', '/registries/team');
    // Seed content as admin, through the token flow skopeo uses.
    for (const repo of ['team/app', 'other/app', 'pub/base']) {
      await skopeoCopy(image.ref, dockerRef(host, repo, 'v1'), { destCreds: admin });
    }
    for (const u of users)
      await skopeoCopy(image.ref, dockerRef(host, `team/del-${u}`, 'v1'), { destCreds: admin });
  });

  after(async () => {
    await arca?.stop();
    await work?.cleanup();
  });

  test('GET /v2/ without credentials: 401 with a Bearer challenge naming the token endpoint', async () => {
    const answer = await call(arca, 'GET', '/v2/', undefined);
    assert.equal(answer.status, 401);
    assert.equal(errorCode(answer), 'UNAUTHORIZED');
    assert.equal(answer.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const challenge = answer.headers.get('www-authenticate') ?? '';
    assert.match(challenge, new RegExp(`^Bearer realm="${arca.url}/auth/token",service="arca"`));
    const pull = await call(arca, 'GET', '/v2/team/app/manifests/v1', undefined);
    assert.equal(pull.status, 401);
    assert.match(pull.headers.get('www-authenticate') ?? '', /scope="repository:team\/app:pull"/);
  });

  // What each role may do: [pull team, push team, delete team, pull default-registry repo, catalog API read, catalog API write, manage access]
  const matrix: Record<
    User,
    {
      pull: boolean;
      push: boolean;
      del: boolean;
      pullOther: boolean;
      catRead: boolean;
      catWrite: boolean;
      manage: boolean;
      sees: string[];
    }
  > = {
    reader: {
      pull: true,
      push: false,
      del: false,
      pullOther: true,
      catRead: true,
      catWrite: false,
      manage: false,
      sees: ['other/app', 'pub/base', 'team/app'],
    },
    contrib: {
      pull: true,
      push: true,
      del: true,
      pullOther: true,
      catRead: true,
      catWrite: true,
      manage: false,
      sees: ['other/app', 'pub/base', 'team/app'],
    },
    owner2: {
      pull: true,
      push: true,
      del: true,
      pullOther: true,
      catRead: true,
      catWrite: true,
      manage: true,
      sees: ['other/app', 'pub/base', 'team/app'],
    },
    publisher: {
      pull: true,
      push: true,
      del: true,
      pullOther: false,
      catRead: false,
      catWrite: false,
      manage: false,
      sees: ['pub/base', 'team/app'],
    },
    puller: {
      pull: true,
      push: false,
      del: false,
      pullOther: false,
      catRead: false,
      catWrite: false,
      manage: false,
      sees: ['pub/base', 'team/app'],
    },
    nobody: {
      pull: false,
      push: false,
      del: false,
      pullOther: false,
      catRead: false,
      catWrite: false,
      manage: false,
      sees: ['pub/base'],
    },
  };

  for (const u of users) {
    test(`role matrix: ${u} with skopeo and the API`, async () => {
      const expect = matrix[u];
      const c = creds[u];
      const refused = /denied|unauthorized|authentication required|forbidden/i;

      const pulled = await skopeo(
        [
          'inspect',
          '--tls-verify=false',
          '--creds',
          `${c.user}:${c.pass}`,
          '--raw',
          `docker://${host}/team/app:v1`,
        ],
        { check: false },
      );
      assert.equal(pulled.code === 0, expect.pull, `pull team/app: ${pulled.stderr}`);
      if (!expect.pull) assert.match(pulled.stderr, refused);

      const pushed = await skopeoCopy(image.ref, dockerRef(host, 'team/app', `by-${u}`), {
        destCreds: c,
        check: false,
      });
      assert.equal(pushed.code === 0, expect.push, `push team/app: ${pushed.stderr}`);
      if (!expect.push) assert.match(pushed.stderr, refused);

      const deleted = await skopeo(
        [
          'delete',
          '--tls-verify=false',
          '--creds',
          `${c.user}:${c.pass}`,
          `docker://${host}/team/del-${u}:v1`,
        ],
        { check: false },
      );
      assert.equal(deleted.code === 0, expect.del, `delete: ${deleted.stderr}`);
      if (!expect.del) assert.match(deleted.stderr, refused);
      // A refused delete changed nothing.
      const still = await call(arca, 'HEAD', `/v2/team/del-${u}/manifests/v1`, admin);
      assert.equal(still.status, expect.del ? 404 : 200);

      const other = await skopeo(
        [
          'inspect',
          '--tls-verify=false',
          '--creds',
          `${c.user}:${c.pass}`,
          '--raw',
          `docker://${host}/other/app:v1`,
        ],
        { check: false },
      );
      assert.equal(other.code === 0, expect.pullOther, `pull other/app: ${other.stderr}`);

      // The same rules over plain HTTP with Basic credentials: 403 DENIED for a signed-in caller.
      const push = await call(arca, 'POST', '/v2/team/app/blobs/uploads/', c);
      assert.equal(push.status, expect.push ? 202 : 403);
      if (!expect.push) assert.equal(errorCode(push), 'DENIED');
      const otherGet = await call(arca, 'GET', '/v2/other/app/manifests/v1', c);
      assert.equal(otherGet.status, expect.pullOther ? 200 : 403);

      // _catalog through a token with the catalog scope lists only what the caller may read.
      const catalogToken = await token(arca, c, ['registry:catalog:*']);
      const listed = await call(arca, 'GET', '/v2/_catalog', { bearer: catalogToken });
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const repos = (listed.body.repositories as string[]).filter((r) => !r.startsWith('team/del-'));
      assert.deepEqual(repos, expect.sees);

      const catRead = await call(arca, 'POST', '/container_registries', c, {});
      assert.equal(catRead.status, expect.catRead ? 200 : 403, JSON.stringify(catRead.body));
      const catWrite = await call(arca, 'POST', '/api/v1/catalog/entries', c, {
        container_registry_name: `reg-${u}`,
        container_registry_public_url: 'https://registry.example.com',
      });
      assert.equal(catWrite.status, expect.catWrite ? 201 : 403, JSON.stringify(catWrite.body));

      const manage = await call(arca, 'GET', '/api/v1/users', c);
      assert.equal(manage.status, expect.manage ? 200 : 403);
    });
  }

  test('anonymous: pulls from a registry that allows it, nothing else', async () => {
    const pub = await skopeo(
      ['inspect', '--tls-verify=false', '--no-creds', '--raw', `docker://${host}/pub/base:v1`],
      { check: false },
    );
    assert.equal(pub.code, 0, pub.stderr);
    const team = await skopeo(
      ['inspect', '--tls-verify=false', '--no-creds', '--raw', `docker://${host}/team/app:v1`],
      { check: false },
    );
    assert.notEqual(team.code, 0);
    const push = await skopeoCopy(image.ref, dockerRef(host, 'pub/base', 'anon'), { check: false });
    assert.notEqual(push.code, 0);
    const api = await call(arca, 'GET', '/api/v1/users', undefined);
    assert.equal(api.status, 401);
  });

  test('podman login, push and pull with Arca tokens', async () => {
    const podman = Podman.create();
    try {
      const authfile = join(podman.dir, 'auth.json');
      const c = creds.publisher;
      const login = await podman.run(
        ['login', '--tls-verify=false', '--authfile', authfile, '-u', c.user, '-p', c.pass, host],
        { check: false },
      );
      assert.equal(login.code, 0, login.stderr);
      const bad = await podman.run(
        [
          'login',
          '--tls-verify=false',
          '--authfile',
          join(podman.dir, 'bad.json'),
          '-u',
          c.user,
          '-p',
          'wrong-password',
          host,
        ],
        { check: false },
      );
      assert.notEqual(bad.code, 0);
      await podman.run(['pull', '--tls-verify=false', '--authfile', authfile, `${host}/team/app:v1`]);
      await podman.run(['tag', `${host}/team/app:v1`, `${host}/team/podman:v1`]);
      await podman.run(['push', '--tls-verify=false', '--authfile', authfile, `${host}/team/podman:v1`]);
      const denied = await podman.run(
        [
          'push',
          '--tls-verify=false',
          '--authfile',
          authfile,
          `${host}/team/podman:v1`,
          `docker://${host}/other/podman:v1`,
        ],
        { check: false },
      );
      assert.notEqual(denied.code, 0);
    } finally {
      await podman.cleanup();
    }
    const digest = await skopeoInspectDigest(dockerRef(host, 'team/podman', 'v1'), { creds: admin });
    assert.match(digest, /^sha256:/);
  });

  test('tokens: exactly the allowed actions; tampered, expired, wrong audience, issuer or scope are refused', async () => {
    // The token endpoint grants what RBAC allows of what was asked.
    const readerToken = await token(arca, creds.reader, ['repository:team/app:pull,push,delete']);
    const claims = JSON.parse(Buffer.from(readerToken.split('.')[1]!, 'base64url').toString()) as {
      access: { type: string; name: string; actions: string[] }[];
      aud: string;
      iss: string;
      exp: number;
      iat: number;
    };
    assert.deepEqual(claims.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    assert.equal(claims.aud, 'arca');
    assert.ok(claims.exp - claims.iat <= 300);

    const pushToken = await token(arca, creds.publisher, ['repository:team/app:pull,push']);
    const start = await call(arca, 'POST', '/v2/team/app/blobs/uploads/', { bearer: pushToken });
    assert.equal(start.status, 202);
    // A token for one repository cannot push to another, even one the caller may push to.
    const elsewhere = await call(arca, 'POST', '/v2/team/other/blobs/uploads/', { bearer: pushToken });
    assert.equal(elsewhere.status, 401);
    assert.equal(errorCode(elsewhere), 'UNAUTHORIZED');
    assert.match(elsewhere.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    // Pull-only token used for a push.
    const pullOnly = await token(arca, creds.publisher, ['repository:team/app:pull']);
    const pushWithPull = await call(arca, 'POST', '/v2/team/app/blobs/uploads/', { bearer: pullOnly });
    assert.equal(pushWithPull.status, 401);

    const [h, p, s] = pushToken.split('.') as [string, string, string];
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    payload.access = [{ type: 'repository', name: 'other/app', actions: ['pull', 'push'] }];
    const widened = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    const now = Math.floor(Date.now() / 1000);
    const access = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];
    const cases: Record<string, string> = {
      'tampered signature': `${h}.${p}.${flipped}`,
      'widened claims': widened,
      expired: await forge(arca, { access }, { exp: now - 120, aud: 'arca', iss: 'arca' }),
      'wrong audience': await forge(arca, { access }, { exp: now + 300, aud: 'other-registry', iss: 'arca' }),
      'wrong issuer': await forge(arca, { access }, { exp: now + 300, aud: 'arca', iss: 'someone-else' }),
      garbage: 'not.a.token',
    };
    for (const [what, bad] of Object.entries(cases)) {
      const answer = await call(arca, 'GET', '/v2/team/app/manifests/v1', { bearer: bad });
      assert.equal(answer.status, 401, what);
      assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_token"/, what);
    }
    // The control: a well-formed token of the same shape is accepted (issued now: a token issued
    // before its account last changed, e.g. before admin was created, no longer holds).
    const good = await forge(arca, { access }, { exp: now + 300, aud: 'arca', iss: 'arca', iat: now });
    assert.equal((await call(arca, 'GET', '/v2/team/app/manifests/v1', { bearer: good })).status, 200);
  });

  test('OAuth2 POST: password and refresh_token grants', async () => {
    const form = (fields: Record<string, string>) =>
      fetch(`${arca.url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
    const first = await form({
      grant_type: 'password',
      username: 'reader',
      password: creds.reader.pass,
      service: 'arca',
      scope: 'repository:team/app:pull',
      access_type: 'offline',
      client_id: 'test',
    });
    assert.equal(first.status, 200);
    const body = (await first.json()) as { access_token: string; refresh_token: string };
    assert.match(body.refresh_token, /^arca_r_/);
    secrets.push(body.refresh_token);
    const again = await form({
      grant_type: 'refresh_token',
      refresh_token: body.refresh_token,
      service: 'arca',
      scope: 'repository:team/app:pull',
    });
    assert.equal(again.status, 200);
    const wrong = await form({
      grant_type: 'password',
      username: 'reader',
      password: 'not-the-password',
      service: 'arca',
    });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_grant');
    const badGrant = await form({ grant_type: 'client_credentials' });
    assert.equal(badGrant.status, 400);
  });

  test('service account API keys: shown once, work with clients, a revoked key stops at once', async () => {
    await ok(arca, 'POST', '/api/v1/service-accounts', { name: 'ci-bot', description: 'pipelines' });
    await ok(arca, 'POST', '/api/v1/role-assignments', {
      role: 'AssetPublisher',
      principal: { kind: 'service-account', name: 'ci-bot' },
      scope: '/registries/team',
    });
    const created = await ok(arca, 'POST', '/api/v1/service-accounts/ci-bot/api-keys', {
      name: 'ci',
      expires_in: 3600,
    });
    const key = created.body.key as string;
    const id = created.body.id as string;
    assert.match(key, /^arca_k_/);
    secrets.push(key);
    const listed = await ok(arca, 'GET', '/api/v1/service-accounts/ci-bot/api-keys');
    assert.ok(!JSON.stringify(listed.body).includes(key), 'the key is never shown again');

    const bot = { user: 'ci-bot', pass: key };
    await skopeoCopy(image.ref, dockerRef(host, 'team/bot', 'v1'), { destCreds: bot });
    const botToken = await token(arca, bot, ['repository:team/bot:pull']);
    assert.equal((await call(arca, 'GET', '/v2/team/bot/manifests/v1', { bearer: botToken })).status, 200);
    assert.equal((await call(arca, 'GET', '/v2/team/bot/manifests/v1', { bearer: key })).status, 200);

    await ok(arca, 'DELETE', `/api/v1/service-accounts/ci-bot/api-keys/${id}`);
    // At once: the key itself, and tokens obtained with it.
    assert.equal((await call(arca, 'GET', '/v2/team/bot/manifests/v1', { bearer: key })).status, 401);
    assert.equal((await call(arca, 'GET', '/v2/team/bot/manifests/v1', bot)).status, 401);
    assert.equal((await call(arca, 'GET', '/v2/team/bot/manifests/v1', { bearer: botToken })).status, 401);
    const copy = await skopeoCopy(image.ref, dockerRef(host, 'team/bot', 'v2'), {
      destCreds: bot,
      check: false,
    });
    assert.notEqual(copy.code, 0);
  });

  test('bad input to the access API gets a clear 400 and changes nothing', async () => {
    const short = await call(arca, 'POST', '/api/v1/users', admin, { name: 'shorty', password: 'x' });
    assert.equal(short.status, 400);
    assert.match(JSON.stringify(short.body), /at least 8/);
    const unknownRole = await call(arca, 'POST', '/api/v1/role-assignments', admin, {
      role: 'NoSuchRole',
      principal: { kind: 'user', name: 'reader' },
    });
    assert.ok(unknownRole.status === 400 || unknownRole.status === 404, String(unknownRole.status));
    const badPermission = await call(arca, 'POST', '/api/v1/roles', admin, {
      name: 'Bad',
      permissions: ['registries/fly'],
    });
    assert.equal(badPermission.status, 400);
    const badScope = await call(arca, 'POST', '/api/v1/role-assignments', admin, {
      role: 'Reader',
      principal: { kind: 'user', name: 'reader' },
      scope: '/registries/../etc',
    });
    assert.equal(badScope.status, 400);
    const malformed = await apiCall(arca.url, 'POST', '/api/v1/users', {
      auth: admin,
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    assert.equal(malformed.status, 400);
    const duplicate = await call(arca, 'POST', '/api/v1/users', admin, {
      name: 'reader',
      password: 'another-password',
    });
    assert.equal(duplicate.status, 409);
    const names = ((await ok(arca, 'GET', '/api/v1/users')).body.items as { name: string }[]).map(
      (x) => x.name,
    );
    assert.ok(!names.includes('shorty'));
    assert.ok((await ok(arca, 'GET', '/api/v1/users')).body.items);
  });

  test('100 wrong passwords for one account are slowed; the right client still signs in', async () => {
    const url = `${arca.url}/v2/team/app/manifests/v1`;
    const wrong = { user: 'reader', pass: 'definitely-wrong' };
    let throttled = 0;
    let retryAfter = 0;
    for (let i = 0; i < 100; i++) {
      const answer = await getFrom('127.0.0.2', url, wrong);
      assert.ok(answer.status === 401 || answer.status === 429, String(answer.status));
      if (answer.status === 429) {
        throttled++;
        retryAfter = Math.max(retryAfter, Number(answer.retryAfter));
      }
    }
    assert.ok(throttled >= 90, `only ${throttled} of 100 were throttled`);
    assert.ok(retryAfter >= 1);
    // The attacker's address stays blocked even with the right password...
    assert.equal((await getFrom('127.0.0.2', url, creds.reader)).status, 429);
    // ...while the owner, from their own address, still gets in.
    assert.equal((await getFrom('127.0.0.1', url, creds.reader)).status, 200);
    const audit = await ok(arca, 'GET', '/api/v1/audit?outcome=throttled&limit=5');
    assert.ok((audit.body.items as unknown[]).length > 0);
  });

  test('the audit log records writes and refusals: who, what, where, outcome', async () => {
    const answer = await ok(arca, 'GET', '/api/v1/audit?limit=1000');
    const items = answer.body.items as {
      actor: string | null;
      action: string;
      resource: string | null;
      outcome: string;
      status: number;
      remote: string;
      time?: string;
    }[];
    assert.ok(
      items.some(
        (e) =>
          e.actor === 'admin' &&
          e.action === 'oci.push' &&
          e.resource === 'repository:team/app' &&
          e.outcome === 'success',
      ),
    );
    assert.ok(
      items.some(
        (e) =>
          e.actor === 'reader' &&
          e.action === 'oci.push' &&
          (e.outcome === 'denied' || e.outcome === 'unauthorized'),
      ),
    );
    assert.ok(items.some((e) => e.actor === 'nobody' && e.outcome === 'denied'));
    assert.ok(
      items.some((e) => e.action.startsWith('POST') && e.action.includes('/users') && e.actor === 'admin'),
    );
    const denied = await call(arca, 'GET', '/api/v1/audit', creds.reader);
    assert.equal(denied.status, 403);
  });

  test('groups: a role given to a group reaches its members, and leaves with them', async () => {
    const url = '/v2/team/app/manifests/v1';
    assert.equal((await call(arca, 'GET', url, creds.nobody)).status, 403);
    await ok(arca, 'POST', '/api/v1/groups', {
      name: 'ml-team',
      description: 'ML engineers',
      members: [{ kind: 'user', name: 'nobody' }],
    });
    await ok(arca, 'POST', '/api/v1/role-assignments', {
      role: 'Reader',
      principal: { kind: 'group', name: 'ml-team' },
      scope: '/registries/team',
    });
    assert.equal((await call(arca, 'GET', url, creds.nobody)).status, 200);
    await ok(arca, 'DELETE', '/api/v1/groups/ml-team/members/user/nobody');
    assert.equal((await call(arca, 'GET', url, creds.nobody)).status, 403);
  });

  test('token signing keys rotate without downtime', async () => {
    const kidOf = (jwt: string) =>
      (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    const before = await token(arca, creds.reader, ['repository:team/app:pull']);
    const rotated = await ok(arca, 'POST', '/api/v1/token-keys/rotate');
    assert.ok(rotated.status === 200 || rotated.status === 201);
    const after = await token(arca, creds.reader, ['repository:team/app:pull']);
    assert.notEqual(kidOf(after), kidOf(before));
    for (const t of [before, after]) {
      assert.equal((await call(arca, 'GET', '/v2/team/app/manifests/v1', { bearer: t })).status, 200);
    }
    const jwks = (await call(arca, 'GET', '/auth/jwks', undefined)).body as { keys: { kid: string }[] };
    const kids = jwks.keys.map((k) => k.kid);
    assert.ok(kids.includes(kidOf(before)) && kids.includes(kidOf(after)));
  });

  test('nothing secret reaches the log', async () => {
    const logs = arca.logs();
    assert.ok(logs.length > 1000, 'the server logged (debug level)');
    for (const secret of secrets)
      assert.ok(!logs.includes(secret), `a secret appears in the log: ${secret.slice(0, 6)}…`);
    assert.doesNotMatch(logs, /eyJ[A-Za-z0-9_-]{20,}\.eyJ/, 'a JWT appears in the log');
    assert.doesNotMatch(logs, /Basic [A-Za-z0-9+/=]{12,}/, 'a Basic credential appears in the log');
  });
});

describe('auth.htpasswd: file users and Arca accounts side by side', () => {
  test('a file user named in auth.htpasswd.admins may do everything; an Arca account gets what its role gives', async () => {
    const work = makeTempDir('arca-htpasswd-beside-');
    const path = join(work.path, 'htpasswd');
    const alice = { user: 'alice', pass: 'alice-file-pass' };
    await writeHtpasswd(path, alice);
    const arca = await startArca({
      config: { auth: { htpasswd: { realm: 'basic-realm', path, admins: ['alice'] } } },
    });
    try {
      const challenge = await call(arca, 'GET', '/v2/', undefined);
      assert.equal(challenge.headers.get('www-authenticate'), 'Basic realm="basic-realm"');
      const image = await buildImage(join(work.path, 'layout'), 'v1', {
        layers: 1,
        seed: 'beside',
        sizes: [1024],
      });
      await skopeoCopy(image.ref, dockerRef(arca.host, 'shared/app', 'v1'), { destCreds: alice });
      assert.equal(
        (await call(arca, 'POST', '/api/v1/users', alice, { name: 'bob', password: 'bob-password-1' }))
          .status,
        201,
      );
      await call(arca, 'POST', '/api/v1/role-assignments', alice, {
        role: 'Reader',
        principal: { kind: 'user', name: 'bob' },
      });
      const bob = { user: 'bob', pass: 'bob-password-1' };
      assert.equal(
        await skopeoInspectDigest(dockerRef(arca.host, 'shared/app', 'v1'), { creds: bob }),
        image.digest,
      );
      const push = await skopeoCopy(image.ref, dockerRef(arca.host, 'shared/app', 'bob'), {
        destCreds: bob,
        check: false,
      });
      assert.notEqual(push.code, 0);
      assert.equal(
        (await call(arca, 'GET', '/v2/shared/app/manifests/v1', { user: 'alice', pass: 'wrong' })).status,
        401,
      );
    } finally {
      await arca.stop();
      await work.cleanup();
    }
  });
});

describe('secure by default', () => {
  test('first start without ARCA_ADMIN_PASSWORD creates admin with a password printed once', async () => {
    const arca = await startArca({ auth: 'arca' });
    try {
      const printed = /created user "admin" \(Owner\) with password "([^"]+)"/.exec(arca.logs());
      assert.ok(printed, arca.logs());
      const password = printed[1]!;
      assert.equal((await call(arca, 'GET', '/api/v1/me', { user: 'admin', pass: password })).status, 200);
      assert.equal((await call(arca, 'GET', '/v2/_catalog', undefined)).status, 401);
      await arca.restart();
      const occurrences = arca.logs().split(password).length - 1;
      assert.equal(occurrences, 1, 'the password is shown on the first start only');
    } finally {
      await arca.stop();
    }
  });

  test('REGISTRY_AUTH=none turns authentication off', async () => {
    const arca = await startArca({ auth: 'arca', env: { REGISTRY_AUTH: 'none' } });
    try {
      assert.equal((await call(arca, 'GET', '/v2/_catalog', undefined)).status, 200);
    } finally {
      await arca.stop();
    }
  });
});

describe('auth.token: trusting an external token server', () => {
  test("skopeo pushes and pulls with tokens from another server's token endpoint, verified by its JWKS", async () => {
    const work = makeTempDir('arca-external-token-');
    const issuer = await startArca({ auth: 'arca', env: { ARCA_ADMIN_PASSWORD: adminPassword } });
    let registry: RunningArca | undefined;
    try {
      const jwks = await (await fetch(`${issuer.url}/auth/jwks`)).text();
      const jwksFile = join(work.path, 'jwks.json');
      writeFileSync(jwksFile, jwks);
      registry = await startArca({
        config: {
          auth: {
            token: { realm: `${issuer.url}/auth/token`, service: 'arca', issuer: 'arca', jwks: jwksFile },
          },
        },
      });
      const challenge = await call(registry, 'GET', '/v2/', undefined);
      assert.equal(challenge.status, 401);
      assert.equal(
        challenge.headers.get('www-authenticate'),
        `Bearer realm="${issuer.url}/auth/token",service="arca"`,
      );
      const image = await buildImage(join(work.path, 'layout'), 'v1', {
        layers: 1,
        seed: 'external',
        sizes: [2048],
      });
      await skopeoCopy(image.ref, dockerRef(registry.host, 'models/llm', 'v1'), { destCreds: admin });
      const digest = await skopeoInspectDigest(dockerRef(registry.host, 'models/llm', 'v1'), {
        creds: admin,
      });
      assert.equal(digest, image.digest);
      // The external server's token carries what it allows; the registry enforces exactly that.
      const pullOnly = await token(issuer, admin, ['repository:models/llm:pull']);
      assert.equal(
        (await call(registry, 'GET', '/v2/models/llm/manifests/v1', { bearer: pullOnly })).status,
        200,
      );
      const push = await call(registry, 'POST', '/v2/models/llm/blobs/uploads/', { bearer: pullOnly });
      assert.equal(push.status, 401);
      assert.match(push.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
      // Passwords are not accepted by a registry that trusts a token server.
      assert.equal((await call(registry, 'GET', '/v2/models/llm/manifests/v1', admin)).status, 401);
      // A token signed by a key the JWKS does not hold is refused.
      const stranger = await startArca({ auth: 'arca', env: { ARCA_ADMIN_PASSWORD: adminPassword } });
      try {
        const foreign = await token(stranger, admin, ['repository:models/llm:pull']);
        const refused = await call(registry, 'GET', '/v2/models/llm/manifests/v1', { bearer: foreign });
        assert.equal(refused.status, 401);
        assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      } finally {
        await stranger.stop();
      }
    } finally {
      await registry?.stop();
      await issuer.stop();
      await work.cleanup();
    }
  });
});
