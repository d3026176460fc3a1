import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inProcessArca, type InProcessArca } from '../helpers/in-process.js';

const adminPassword = 'in-process-Admin-16';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const secret = 'sixteen-chars-or-more';

describe('/api/v1/jobs and webhooks, in process, with Arca accounts', () => {
  let arca: InProcessArca;
  const admin = { authorization: basic('admin', adminPassword) };
  const json = { ...admin, 'content-type': 'application/json' };
  before(async () => {
    arca = await inProcessArca({}, { auth: 'arca', adminPassword });
    const res = await arca.app.inject({
      method: 'POST',
      url: '/api/v1/registries',
      headers: json,
      payload: { name: 'hooked' },
    });
    assert.equal(res.statusCode, 201, res.body);
  });
  after(() => arca.close());

  test('jobs: signed-in callers with the right only; unknown jobs and bad queries are clear errors', async () => {
    assert.equal((await arca.app.inject({ method: 'GET', url: '/api/v1/jobs' })).statusCode, 401);
    const list = await arca.app.inject({ method: 'GET', url: '/api/v1/jobs', headers: admin });
    assert.equal(list.statusCode, 200, list.body);
    assert.deepEqual(JSON.parse(list.body), { items: [] });
    for (const [method, url, status] of [
      ['GET', '/api/v1/jobs/nope', 404],
      ['POST', '/api/v1/jobs/nope/retry', 404],
      ['GET', '/api/v1/jobs?state=bogus', 400],
      ['GET', '/api/v1/jobs?n=0', 400],
      ['GET', '/api/v1/jobs?n=x', 400],
      ['GET', '/api/v1/jobs?last=nope', 400],
    ] as const) {
      const res = await arca.app.inject({ method, url, headers: admin });
      assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
    // A user without roles may sign in but not read the installation's jobs.
    const created = await arca.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: json,
      payload: { name: 'nobody', password: 'Nobody-pass-16' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const nobody = { authorization: basic('nobody', 'Nobody-pass-16') };
    assert.equal(
      (await arca.app.inject({ method: 'GET', url: '/api/v1/jobs', headers: nobody })).statusCode,
      403,
    );
    assert.equal(
      (await arca.app.inject({ method: 'GET', url: '/api/v1/registries/hooked/webhooks', headers: nobody }))
        .statusCode,
      403,
    );
  });

  test('webhooks: bad input is refused and changes nothing; the secret is never shown', async () => {
    const url = '/api/v1/registries/hooked/webhooks';
    const bad = [
      {},
      { url: 'http://127.0.0.1:9/hook' },
      { url: 'http://127.0.0.1:9/hook', secret: 'short' },
      { url: 'not a url', secret },
      { url: 'http://user:pw@127.0.0.1:9/hook', secret },
      { url: 'http://169.254.169.254/latest', secret },
      { url: 'http://127.0.0.1:9/hook', secret, events: [] },
      { url: 'http://127.0.0.1:9/hook', secret, events: ['push', 'explode'] },
      { url: 'http://127.0.0.1:9/hook', secret, colour: 'red' },
    ];
    for (const payload of bad) {
      const res = await arca.app.inject({ method: 'POST', url, headers: json, payload });
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
    }
    const missing = await arca.app.inject({
      method: 'POST',
      url: '/api/v1/registries/absent/webhooks',
      headers: json,
      payload: { url: 'http://127.0.0.1:9/hook', secret },
    });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(JSON.parse((await arca.app.inject({ method: 'GET', url, headers: admin })).body), {
      items: [],
    });
    const made = await arca.app.inject({
      method: 'POST',
      url,
      headers: json,
      payload: { url: 'http://127.0.0.1:9/hook', secret },
    });
    assert.equal(made.statusCode, 201, made.body);
    const hook = JSON.parse(made.body) as { id: string; events: string[] };
    assert.deepEqual(hook.events, ['push', 'pull', 'delete']);
    assert.equal(made.headers.location, `${url}/${hook.id}`);
    const listed = await arca.app.inject({ method: 'GET', url, headers: admin });
    assert.ok(!listed.body.includes(secret));
    assert.equal((JSON.parse(listed.body) as { items: unknown[] }).items.length, 1);
    assert.equal(
      (
        await arca.app.inject({
          method: 'GET',
          url: `/api/v1/registries/default/webhooks/${hook.id}`,
          headers: admin,
        })
      ).statusCode,
      404,
      'a webhook is found only under its own registry',
    );
    assert.equal(
      (await arca.app.inject({ method: 'DELETE', url: `${url}/${hook.id}`, headers: admin })).statusCode,
      204,
    );
    assert.equal(
      (await arca.app.inject({ method: 'DELETE', url: `${url}/${hook.id}`, headers: admin })).statusCode,
      404,
    );
    // A registry's webhooks go with it: a new registry of the same name starts with none.
    const again = await arca.app.inject({
      method: 'POST',
      url,
      headers: json,
      payload: { url: 'http://127.0.0.1:9/hook', secret },
    });
    assert.equal(again.statusCode, 201);
    const del = await arca.app.inject({ method: 'DELETE', url: '/api/v1/registries/hooked', headers: admin });
    assert.equal(del.statusCode, 200, del.body);
    const recreated = await arca.app.inject({
      method: 'POST',
      url: '/api/v1/registries',
      headers: json,
      payload: { name: 'hooked' },
    });
    assert.equal(recreated.statusCode, 201);
    assert.deepEqual(JSON.parse((await arca.app.inject({ method: 'GET', url, headers: admin })).body), {
      items: [],
    });
  });
});

describe('notifications: a push enqueues its deliveries in its own transaction', () => {
  let arca: InProcessArca;
  before(async () => {
    arca = await inProcessArca({});
  });
  after(() => arca.close());

  test('one queued delivery per webhook wanting the action; none for a refused push', async () => {
    const json = { 'content-type': 'application/json' };
    assert.equal(
      (
        await arca.app.inject({
          method: 'POST',
          url: '/api/v1/registries',
          headers: json,
          payload: { name: 'team' },
        })
      ).statusCode,
      201,
    );
    for (const events of [['push'], ['delete'], ['pull']]) {
      const res = await arca.app.inject({
        method: 'POST',
        url: '/api/v1/registries/team/webhooks',
        headers: json,
        payload: { url: 'http://127.0.0.1:9/hook', secret, events },
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    const blob = await arca.app.inject({
      method: 'POST',
      url: `/v2/team/app/blobs/uploads/?digest=${digest}`,
      headers: { 'content-type': 'application/octet-stream' },
      payload: config,
    });
    assert.equal(blob.statusCode, 201, blob.body);
    const manifest = (configDigest: string) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [],
      });
    const put = (body: string) =>
      arca.app.inject({
        method: 'PUT',
        url: '/v2/team/app/manifests/v1',
        headers: {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'user-agent': 'test-agent/1',
        },
        payload: body,
      });
    // A manifest naming a blob the repository lacks is refused: no event.
    const refused = await put(manifest(`sha256:${'0'.repeat(64)}`));
    assert.equal(refused.statusCode, 400, refused.body);
    let jobs = JSON.parse((await arca.app.inject({ method: 'GET', url: '/api/v1/jobs' })).body) as {
      items: {
        kind: string;
        state: string;
        payload: {
          to: unknown;
          event: {
            action: string;
            target: { repository: string; tag?: string };
            request: { method: string; useragent: string };
          };
        };
      }[];
    };
    assert.equal(jobs.items.length, 0);
    assert.equal((await put(manifest(digest))).statusCode, 201);
    jobs = JSON.parse((await arca.app.inject({ method: 'GET', url: '/api/v1/jobs' })).body) as typeof jobs;
    assert.equal(jobs.items.length, 1, 'only the webhook wanting pushes');
    const [job] = jobs.items;
    assert.equal(job!.kind, 'notification.deliver');
    assert.equal(job!.state, 'queued');
    const event = job!.payload.event;
    assert.equal(event.action, 'push');
    assert.equal(event.target.repository, 'team/app');
    assert.equal(event.target.tag, 'v1');
    assert.equal(event.request.method, 'PUT');
    assert.equal(event.request.useragent, 'test-agent/1');

    // A GET is a pull (for the webhook wanting pulls); a HEAD is not.
    assert.equal(
      (await arca.app.inject({ method: 'HEAD', url: '/v2/team/app/manifests/v1' })).statusCode,
      200,
    );
    assert.equal(
      (await arca.app.inject({ method: 'GET', url: '/v2/team/app/manifests/v1' })).statusCode,
      200,
    );
    jobs = JSON.parse((await arca.app.inject({ method: 'GET', url: '/api/v1/jobs' })).body) as typeof jobs;
    assert.deepEqual(
      jobs.items.map((j) => j.payload.event.action),
      ['pull', 'push'],
    );
  });
});
