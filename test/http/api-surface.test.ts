import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { decodeJwt } from 'jose';
import { AppError, codeForStatus, errorCodes, ociCodeOf, type ErrorCode } from '../../src/errors/index.js';
import { buildApp } from '../../src/http/app.js';
import type { Distribution } from '../../src/oci/index.js';
import { freshDatabase } from '../helpers/catalog-db.js';
import { makeTempDir } from '../helpers/tmp.js';
import { testAccessControl } from '../helpers/access-control.js';
import { inProcessArca } from '../helpers/in-process.js';

test('house 1: every status has a registered code; the OCI dialect keeps the spec names', () => {
  for (const status of [400, 404, 405, 409, 413, 415, 416, 429]) {
    const code = codeForStatus(status);
    assert.equal(errorCodes[code].status, status, `${status} -> ${code}`);
    assert.equal(new AppError(code).status, status);
  }
  for (const code of ['REQUEST_INVALID', 'NOT_FOUND', 'CONFLICT'] as ErrorCode[]) {
    assert.ok(code in errorCodes, code);
  }
  // 413 and 416 are codes of their own; /v2 still names them as the distribution spec does.
  assert.equal(ociCodeOf('PAYLOAD_TOO_LARGE'), 'SIZE_INVALID');
  assert.equal(ociCodeOf('BLOB_UPLOAD_RANGE_INVALID'), 'BLOB_UPLOAD_INVALID');
  assert.equal(ociCodeOf('RANGE_NOT_SATISFIABLE'), 'BLOB_UNKNOWN');
  assert.equal(ociCodeOf('MANIFEST_INVALID'), 'MANIFEST_INVALID');
});

test('house 1: /api/v1 is one plugin: unknown paths, bad JSON and wrong media types are problem+json with generic codes', async (t) => {
  const { meta, drop } = await freshDatabase('sqlite');
  const keys = makeTempDir('arca-api-keys-');
  const access = testAccessControl(meta.db, { kind: 'none' }, keys.path);
  const app = buildApp({
    logger: pino({ level: 'silent' }),
    distribution: {} as Distribution,
    access,
    deleteEnabled: false,
    readOnly: false,
    manifestLimit: 1 << 20,
    accessLog: false,
    readiness: {},
    uploadsInProgress: async () => 0,
  });
  try {
    await app.ready();
    const cases: [string, string, Record<string, string>, string | undefined, number, string][] = [
      ['GET', '/api/v1/nothing-here', {}, undefined, 404, 'NOT_FOUND'],
      ['GET', '/api/v1/catalog/entries', {}, undefined, 404, 'NOT_FOUND'],
      ['POST', '/api/v1/users', { 'content-type': 'application/json' }, '{"name": ', 400, 'REQUEST_INVALID'],
      ['POST', '/api/v1/users', { 'content-type': 'text/plain' }, 'x', 415, 'MEDIA_TYPE_UNSUPPORTED'],
      [
        'POST',
        '/api/v1/users',
        { 'content-type': 'application/json' },
        '{"name": 1}',
        400,
        'REQUEST_INVALID',
      ],
      ['GET', '/api/v1/users/nobody', {}, undefined, 404, 'NOT_FOUND'],
    ];
    for (const [method, url, headers, payload, status, code] of cases) {
      const started = performance.now();
      const answer = await app.inject({ method: method as 'GET', url, headers, payload });
      const ms = performance.now() - started;
      t.diagnostic(`${method} ${url}: ${answer.statusCode} in ${ms.toFixed(1)} ms (in-process)`);
      assert.equal(answer.statusCode, status, `${method} ${url}: ${answer.body}`);
      assert.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8');
      const problem = answer.json<{ code: string; status: number; instance: string }>();
      assert.equal(problem.code, code, `${method} ${url}`);
      assert.equal(problem.status, status);
      assert.equal(problem.instance, url);
    }
  } finally {
    await app.close();
    await access.close();
    await drop();
    await keys.cleanup();
  }
});

test('house 2: AccessControl decides access (authorize, allows) and issues tokens (issueToken)', async () => {
  const { meta, drop } = await freshDatabase('sqlite');
  const keys = makeTempDir('arca-api-keys-');
  const access = testAccessControl(meta.db, { kind: 'arca' }, keys.path);
  try {
    await access.directory.createUser('ada', 'a long enough passphrase 42');
    await access.roles.assign(
      { role: 'Contributor', principal: { kind: 'user', name: 'ada' }, scope: '/namespaces/team' },
      null,
    );
    const ada = { kind: 'user' as const, name: 'ada', source: 'arca' as const };
    // Registry verbs by the registry's namespace; namespaced verbs by the namespace.
    assert.equal(
      await access.allows(ada, 'registries/write', { registry: 'Models', namespace: 'team' }),
      true,
    );
    assert.equal(
      await access.allows(ada, 'registries/write', { registry: 'other', namespace: 'default' }),
      false,
    );
    assert.equal(await access.allows(ada, 'credentials/read', { namespace: 'team' }), true);
    assert.equal(await access.allows(undefined, 'credentials/read', { namespace: 'team' }), false);
    await access.authorize(ada, 'credentials/write', { namespace: 'team' });
    await assert.rejects(access.authorize(ada, 'credentials/write', { namespace: 'default' }), {
      code: 'DENIED',
      message: 'credentials/write is required in namespace default',
    });
    await assert.rejects(access.authorize(ada, 'registries/delete', { registry: 'other', namespace: 'x' }), {
      code: 'DENIED',
      message: 'registries/delete is required on registry other',
    });

    const anonymous = await access.issueToken({ kind: 'anonymous' }, ['repository:x/y:pull'], {
      refresh: true,
    });
    assert.equal(anonymous.refreshToken, undefined, 'no refresh token for anonymous callers');
    assert.deepEqual(decodeJwt(anonymous.token).access, []);
    const issued = await access.issueToken(ada, ['registry:catalog:*'], { refresh: true });
    assert.equal(typeof issued.refreshToken, 'string');
    assert.equal(decodeJwt(issued.token).sub, 'ada');
    assert.deepEqual(decodeJwt(issued.token).access, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    assert.ok(issued.expiresIn > 0);

    // With auth: none everyone may do everything.
    const open = testAccessControl(meta.db, { kind: 'none' }, keys.path);
    assert.equal(await open.allows(undefined, 'registries/delete', { registry: 'r', namespace: 'n' }), true);
    await open.close();
  } finally {
    await access.close();
    await drop();
    await keys.cleanup();
  }
});

test("hardening: an overlong path segment or a URL that does not decode gets each surface's own error", async () => {
  const arca = await inProcessArca();
  try {
    const long = 'a'.repeat(600);
    // Names within the router's limit are judged by Arca's own rules.
    const named = await arca.app.inject({ method: 'GET', url: `/api/v1/registries/${'b'.repeat(300)}` });
    assert.equal(named.statusCode, 404);
    assert.match(String(named.headers['content-type']), /application\/problem\+json/);

    const api = await arca.app.inject({ method: 'GET', url: `/api/v1/registries/${long}` });
    assert.equal(api.statusCode, 414);
    assert.match(String(api.headers['content-type']), /application\/problem\+json/);
    assert.equal(api.json().code, 'URI_TOO_LONG');

    const hub = await arca.app.inject({ method: 'GET', url: `/hf/api/models/default/${long}` });
    assert.equal(hub.statusCode, 414);
    assert.deepEqual(Object.keys(hub.json()), ['error']);

    const badApi = await arca.app.inject({ method: 'GET', url: '/api/v1/registries/%zz' });
    assert.equal(badApi.statusCode, 400);
    assert.equal(badApi.json().code, 'REQUEST_INVALID');

    const badV2 = await arca.app.inject({ method: 'GET', url: '/v2/library/x/manifests/%zz' });
    assert.equal(badV2.statusCode, 400);
    assert.ok(Array.isArray(badV2.json().errors), badV2.body);
  } finally {
    await arca.close();
  }
});
