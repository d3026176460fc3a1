import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { inProcessArca, type InProcessArca } from '../helpers/in-process.js';

const adminPassword = 'in-process-Admin-7';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const admin = { authorization: basic('admin', adminPassword) };
const reader = { authorization: basic('reader2', 'reader2-Pass-123') };
const nobody = { authorization: basic('nobody2', 'nobody2-Pass-123') };
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const weights = Buffer.alloc(5_000, 3);
const readme = Buffer.from('# open\n');

type Headers = Record<string, string>;

/** Every read of the asset API on one model version, as [method, path, expected status]. */
function reads(registry: string, model: string): [string, string, number][] {
  const m = `/api/v1/registries/${registry}/models`;
  const v = `${m}/${model}/versions/1`;
  return [
    ['GET', m, 200],
    ['GET', `${m}/${model}`, 200],
    ['GET', `${m}/${model}/versions`, 200],
    ['GET', v, 200],
    ['GET', `${v}/files`, 200],
    ['GET', `${v}/files/README.md`, 200],
    ['HEAD', `${v}/files/weights.bin`, 200],
    ['GET', `${v}/archive`, 200],
    ['HEAD', `${v}/archive`, 200],
    ['GET', `${v}/lineage`, 200],
    ['GET', `${m}/${model}/labels`, 200],
    ['GET', `${m}/${model}/labels/latest`, 200],
    ['GET', `/api/v1/assets/resolve?uri=arca://registries/${registry}/models/${model}/versions/1`, 200],
    ['GET', `/api/v1/assets/resolve?uri=azureml:${model}@latest&registry=${registry}&kind=model`, 200],
  ];
}

function assertUnauthorized(res: LightMyRequestResponse, what: string): void {
  assert.equal(res.statusCode, 401, `${what}: ${res.body}`);
  assert.match(String(res.headers['www-authenticate']), /^Bearer realm="[^"]+\/auth\/token"/, what);
  if (res.body !== '') {
    assert.match(String(res.headers['content-type']), /application\/problem\+json/, what);
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'UNAUTHORIZED', what);
  }
}

describe('the asset API read anonymously where the registry allows anonymous pulls', () => {
  let arca: InProcessArca;
  const call = (method: string, url: string, headers: Headers = {}, payload?: unknown) =>
    arca.app.inject({
      method: method as 'GET',
      url,
      headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  const ok = async (method: string, url: string, payload?: unknown) => {
    const res = await call(method, url, admin, payload);
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res;
  };

  async function publishModel(registry: string, name: string, lineage: string[] = []): Promise<void> {
    for (const bytes of [weights, readme]) {
      const res = await arca.app.inject({
        method: 'POST',
        url: `/v2/${registry}/models/${name}/blobs/uploads/?digest=${sha(bytes)}`,
        headers: { ...admin, 'content-type': 'application/octet-stream' },
        payload: bytes,
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    await ok('POST', `/api/v1/registries/${registry}/models/${name}/versions`, {
      version: '1',
      files: [
        { path: 'weights.bin', digest: sha(weights), size: weights.length },
        { path: 'README.md', digest: sha(readme), size: readme.length },
      ],
      lineage,
    });
  }

  before(async () => {
    arca = await inProcessArca({}, { auth: 'arca', adminPassword });
    await ok('POST', '/api/v1/registries', { name: 'pub', anonymous_pull: true });
    await ok('POST', '/api/v1/registries', { name: 'priv' });
    await publishModel('pub', 'open-llm');
    await publishModel('priv', 'secret-llm');
    // A private fine-tune of the public model: its link must not show to those who cannot read it.
    await publishModel('priv', 'tuned', ['arca://registries/pub/models/open-llm/versions/1']);
    for (const user of ['reader2', 'nobody2'])
      await ok('POST', '/api/v1/users', { name: user, password: `${user}-Pass-123` });
    await ok('POST', '/api/v1/role-assignments', {
      role: 'Reader',
      principal: { kind: 'user', name: 'reader2' },
      scope: '/',
    });
  });
  after(() => arca.close());

  test('anonymous: every read of an anonymous-pull registry answers, a Range of a file included', async () => {
    for (const [method, url, status] of reads('pub', 'open-llm')) {
      const res = await call(method, url);
      assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
    }
    const list = await call('GET', '/api/v1/registries/pub/models');
    assert.deepEqual(
      (JSON.parse(list.body) as { items: { name: string }[] }).items.map((i) => i.name),
      ['open-llm'],
    );
    const part = await call('GET', '/api/v1/registries/pub/models/open-llm/versions/1/files/weights.bin', {
      range: 'bytes=100-199',
    });
    assert.equal(part.statusCode, 206);
    assert.deepEqual(part.rawPayload, weights.subarray(100, 200));
    assert.equal(part.headers['content-range'], `bytes 100-199/${weights.length}`);
    const tar = await call('GET', '/api/v1/registries/pub/models/open-llm/versions/1/archive');
    assert.ok(tar.rawPayload.includes(readme));
  });

  test('lineage shows only links into registries the caller may read', async () => {
    const url = '/api/v1/registries/pub/models/open-llm/versions/1/lineage';
    type Lineage = { downstream: { uri: string }[] };
    const anonymous = JSON.parse((await call('GET', url)).body) as Lineage;
    assert.deepEqual(anonymous.downstream, []);
    const signedIn = JSON.parse((await call('GET', url, nobody)).body) as Lineage;
    assert.deepEqual(signedIn.downstream, []);
    const full = JSON.parse((await call('GET', url, admin)).body) as Lineage;
    assert.deepEqual(
      full.downstream.map((d) => d.uri),
      ['arca://registries/priv/models/tuned/versions/1'],
    );
  });

  test('anonymous: every read of a private registry is 401 with a challenge, as is a registry or asset that does not exist', async () => {
    for (const [method, url] of reads('priv', 'secret-llm')) assertUnauthorized(await call(method, url), url);
    for (const url of [
      '/api/v1/registries/nosuch/models',
      '/api/v1/registries/nosuch/models/x/versions/1/files/README.md',
      '/api/v1/registries/priv/models/missing',
      '/api/v1/registries/priv/models/missing/versions/1',
      '/api/v1/assets/resolve?uri=arca://registries/priv/models/missing/versions/1',
      '/api/v1/assets/resolve?uri=arca://registries/nosuch/models/missing/versions/1',
      '/api/v1/assets/resolve?uri=azureml:missing@latest&registry=priv&kind=model',
    ])
      assertUnauthorized(await call('GET', url), url);
    const long = await call('GET', `/api/v1/registries/${'x'.repeat(95)}/models`);
    assertUnauthorized(long, 'a long registry name');
    assert.ok((JSON.parse(long.body) as { detail: string }).detail.length < 150, 'the name is cut short');
    // A reader is told what does not exist.
    const missing = await call('GET', '/api/v1/registries/priv/models/missing', reader);
    assert.equal(missing.statusCode, 404, missing.body);
    const nosuch = await call('GET', '/api/v1/registries/nosuch/models', admin);
    assert.equal(nosuch.statusCode, 404, nosuch.body);
  });

  test('signed in: a Reader reads both registries; a caller without roles reads the public one, 403 on the private one', async () => {
    for (const [method, url, status] of [...reads('pub', 'open-llm'), ...reads('priv', 'secret-llm')]) {
      const res = await call(method, url, reader);
      assert.equal(res.statusCode, status, `reader ${method} ${url}: ${res.body}`);
    }
    for (const [method, url, status] of reads('pub', 'open-llm')) {
      const res = await call(method, url, nobody);
      assert.equal(res.statusCode, status, `nobody ${method} ${url}: ${res.body}`);
    }
    for (const [method, url] of reads('priv', 'secret-llm')) {
      const res = await call(method, url, nobody);
      assert.equal(res.statusCode, 403, `nobody ${method} ${url}: ${res.body}`);
      if (method === 'GET') assert.equal((JSON.parse(res.body) as { code: string }).code, 'DENIED');
    }
  });

  test('writes: 401 with a challenge anonymously, 403 for a Reader, and nothing changes', async () => {
    const m = '/api/v1/registries/pub/models';
    const body = {
      version: '2',
      files: [{ path: 'README.md', digest: sha(readme), size: readme.length }],
    };
    const writes: [string, string, unknown][] = [
      ['POST', m, { name: 'new-model' }],
      ['PATCH', `${m}/open-llm`, { description: 'defaced' }],
      ['POST', `${m}/open-llm/versions`, body],
      ['DELETE', `${m}/open-llm/versions/1`, undefined],
      ['PUT', `${m}/open-llm/labels/production`, { version: '1' }],
      ['DELETE', `${m}/open-llm/labels/latest`, undefined],
    ];
    for (const [method, url, payload] of writes) {
      assertUnauthorized(await call(method, url, {}, payload), `anonymous ${method} ${url}`);
      const denied = await call(method, url, reader, payload);
      assert.equal(denied.statusCode, 403, `reader ${method} ${url}: ${denied.body}`);
      assert.equal((JSON.parse(denied.body) as { code: string }).code, 'DENIED');
    }
    const versions = JSON.parse((await call('GET', `${m}/open-llm/versions`)).body) as {
      items: { version: string }[];
    };
    assert.deepEqual(
      versions.items.map((v) => v.version),
      ['1'],
    );
    const shown = JSON.parse((await call('GET', `${m}/open-llm`)).body) as { description: string };
    assert.notEqual(shown.description, 'defaced');
    const labels = JSON.parse((await call('GET', `${m}/open-llm/labels`)).body) as {
      items: { label: string }[];
    };
    assert.deepEqual(
      labels.items.map((l) => l.label),
      ['latest'],
    );
    assert.equal((await call('GET', `${m}/new-model`, admin)).statusCode, 404);
  });

  test('credentials that do not hold are refused, not taken as anonymous', async () => {
    const url = '/api/v1/registries/pub/models/open-llm/versions/1/files/README.md';
    for (const authorization of [
      basic('admin', 'wrong-password'),
      basic('ghost', 'ghost-Pass-123'),
      'Bearer not.a.token',
      `Bearer arca_k_0123456789abcdef_${'A'.repeat(43)}`,
      'Digest username="admin"',
    ]) {
      const res = await call('GET', url, { authorization });
      assertUnauthorized(res, authorization);
    }
    const fine = await call('GET', url);
    assert.equal(fine.statusCode, 200);
    assert.deepEqual(fine.rawPayload, readme);
  });
});
