import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inProcessArca, type InProcessArca } from '../helpers/in-process.js';

const adminPassword = 'in-process-Admin-7';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('/api/v1, /auth and the catalog, in process, with Arca accounts', () => {
  let arca: InProcessArca;
  before(async () => {
    arca = await inProcessArca({}, { auth: 'arca', adminPassword });
  });
  after(() => arca.close());

  test('/v2/ without credentials: 401 with an escaped Bearer challenge, whatever the Host', async () => {
    const res = await arca.app.inject({ method: 'GET', url: '/v2/', headers: { host: 'evil",error="x' } });
    assert.equal(res.statusCode, 401);
    const challenge = String(res.headers['www-authenticate']);
    assert.match(challenge, /^Bearer realm="/);
    assert.ok(!/",error="x"/.test(challenge), challenge);
  });

  test('a token for the right password; a wrong one is 401 and gives none', async () => {
    const ok = await arca.app.inject({
      method: 'GET',
      url: '/auth/token?service=arca&scope=repository:team/app:pull',
      headers: { authorization: basic('admin', adminPassword) },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.ok((JSON.parse(ok.body) as { token?: string }).token);
    const wrong = await arca.app.inject({
      method: 'GET',
      url: '/auth/token?service=arca',
      headers: { authorization: basic('admin', 'not-the-password') },
    });
    assert.equal(wrong.statusCode, 401);
    assert.ok(!('token' in (JSON.parse(wrong.body) as object)));
  });

  test('/api/v1: problem+json for a missing caller, an unknown resource and a non-JSON body', async () => {
    const anonymous = await arca.app.inject({ method: 'GET', url: '/api/v1/users' });
    assert.equal(anonymous.statusCode, 401);
    const auth = { authorization: basic('admin', adminPassword) };
    const unknown = await arca.app.inject({ method: 'GET', url: '/api/v1/registries/nope', headers: auth });
    assert.equal(unknown.statusCode, 404);
    assert.match(String(unknown.headers['content-type']), /^application\/problem\+json/);
    const form = await arca.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: '{"name":"mallory","password":"Mallory-pass-1"}',
    });
    assert.equal(form.statusCode, 415, form.body);
    const users = await arca.app.inject({ method: 'GET', url: '/api/v1/users', headers: auth });
    assert.ok(!users.body.includes('mallory'), 'nothing was created');
  });

  test('the AIOS catalog: an entry onboarded, found by a $regex, and a catastrophic one is fast', async () => {
    const auth = { authorization: basic('admin', adminPassword), 'content-type': 'application/json' };
    const created = await arca.app.inject({
      method: 'POST',
      url: '/container_registry',
      headers: auth,
      payload: JSON.stringify({
        container_registry_name: 'ngc',
        container_registry_public_url: 'https://nvcr.io',
      }),
    });
    assert.equal(created.statusCode, 201, created.body);
    const found = await arca.app.inject({
      method: 'POST',
      url: '/container_registries',
      headers: auth,
      payload: JSON.stringify({ container_registry_public_url: { $regex: '^https://nvcr' } }),
    });
    assert.equal(found.statusCode, 200, found.body);
    assert.match(found.body, /"container_registry_name":"ngc"/);
    const started = performance.now();
    const evil = await arca.app.inject({
      method: 'POST',
      url: '/container_registries',
      headers: auth,
      payload: JSON.stringify({ container_registry_public_url: { $regex: '^((.+)+)+Z$' } }),
    });
    assert.equal(evil.statusCode, 200, evil.body);
    assert.ok(performance.now() - started < 2000, 'linear time');
    const backref = await arca.app.inject({
      method: 'POST',
      url: '/container_registries',
      headers: auth,
      payload: JSON.stringify({ container_registry_public_url: { $regex: '(a)\\1' } }),
    });
    assert.equal(backref.statusCode, 400, backref.body);
  });
});
