import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { rssOf, startArca, type RunningArca } from '../helpers/arca.js';

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const adminPassword = 'hardening-http-admin-pw';
const basic = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;

describe('hardening (http): small ones', () => {
  let arca: RunningArca;
  const call = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string | Buffer<ArrayBuffer>,
  ) =>
    fetch(`${arca.url}${path}`, {
      method,
      headers: { authorization: basic, ...headers },
      ...(body === undefined ? {} : { body }),
    });

  /** Push a blob; its digest. */
  async function pushBlob(repo: string, data: Buffer<ArrayBuffer>): Promise<string> {
    const digest = sha256(data);
    const res = await call(
      'POST',
      `/v2/${repo}/blobs/uploads/?digest=${digest}`,
      { 'content-type': 'application/octet-stream' },
      data,
    );
    assert.equal(res.status, 201);
    return digest;
  }

  before(async () => {
    arca = await startArca({ auth: 'arca', env: { ARCA_ADMIN_PASSWORD: adminPassword } });
  });
  after(async () => {
    await arca?.stop();
  });

  test('hardening 11b: the SQLite database and its -wal/-shm files are 0600', async () => {
    // A write, so the WAL and shared-memory files exist.
    await pushBlob('small/db', Buffer.from('db mode'));
    for (const file of ['arca.db', 'arca.db-wal', 'arca.db-shm']) {
      const mode = statSync(join(arca.dataDir, file)).mode & 0o777;
      assert.equal(mode.toString(8), '600', `${file} is ${mode.toString(8)}`);
    }
  });

  test('hardening 11d: text/plain, form and type-less bodies are refused with 415 on every JSON surface', async () => {
    const json = JSON.stringify;
    const kinds: [string, Record<string, string>][] = [
      ['text/plain', { 'content-type': 'text/plain' }],
      ['a form', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }],
      ['no type', {}],
    ];
    const posts: { path: string; method: string; body: string; dialect: 'problem' | 'aios' }[] = [
      {
        path: '/api/v1/users',
        method: 'POST',
        body: json({ name: 'csrf', password: 'csrf-password-1' }),
        dialect: 'problem',
      },
      {
        path: '/api/v1/catalog/entries',
        method: 'POST',
        body: json({ container_registry_name: 'csrf1' }),
        dialect: 'problem',
      },
      {
        path: '/api/v1/credentials/csrf',
        method: 'PUT',
        body: json({ type: 'GENERIC', payload: { a: 'b' } }),
        dialect: 'problem',
      },
      { path: '/api/v1/registries', method: 'POST', body: json({ name: 'csrf' }), dialect: 'problem' },
      {
        path: '/container_registry',
        method: 'POST',
        body: json({ container_registry_name: 'csrf2' }),
        dialect: 'aios',
      },
    ];
    for (const post of posts) {
      for (const [kind, headers] of kinds) {
        // fetch gives a string body text/plain: a Blob without a type sends no Content-Type at all.
        const body = kind === 'no type' ? new Blob([post.body]) : post.body;
        const res = await fetch(`${arca.url}${post.path}`, {
          method: post.method,
          headers: { authorization: basic, ...headers },
          body,
        });
        const answer = (await res.json()) as Record<string, unknown>;
        assert.equal(
          res.status,
          415,
          `${post.method} ${post.path} with ${kind}: ${res.status} ${json(answer)}`,
        );
        if (post.dialect === 'problem') {
          assert.equal(answer.code, 'MEDIA_TYPE_UNSUPPORTED');
          assert.match(String(answer.detail), /application\/json/);
        } else {
          assert.equal(answer.success, false);
          assert.match(String(answer.error), /application\/json/);
        }
      }
    }
    // Nothing changed.
    const users = (await (await call('GET', '/api/v1/users')).json()) as { items: { name: string }[] };
    assert.ok(!users.items.some((u) => u.name === 'csrf'));
    const entries = (await (
      await call('POST', '/container_registries', { 'content-type': 'application/json' }, '{}')
    ).json()) as { data: { container_registry_name: string }[] };
    assert.ok(!entries.data.some((e) => e.container_registry_name.startsWith('csrf')));
    assert.equal((await call('GET', '/api/v1/credentials/csrf')).status, 404);
    assert.equal((await call('GET', '/api/v1/registries/csrf')).status, 404);

    // The token endpoint keeps OAuth2's form and takes JSON; text/plain is refused.
    const form = new URLSearchParams({ grant_type: 'password', username: 'admin', password: adminPassword });
    const token = (type: string, body: string) =>
      fetch(`${arca.url}/auth/token`, { method: 'POST', headers: { 'content-type': type }, body });
    assert.equal((await token('application/x-www-form-urlencoded', form.toString())).status, 200);
    assert.equal((await token('application/json', json(Object.fromEntries(form)))).status, 200);
    const plain = await token('text/plain', form.toString());
    assert.equal(plain.status, 415);
    assert.match(
      ((await plain.json()) as { error_description: string }).error_description,
      /application\/json/,
    );
    // JSON still works where it did, including +json types.
    const created = await call(
      'POST',
      '/container_registry',
      { 'content-type': 'application/json; charset=utf-8' },
      json({ container_registry_name: 'json-ok' }),
    );
    assert.equal(created.status, 201);
  });

  test('hardening 11e: a manifest PUT whose Content-Type is no manifest media type is refused, nothing tagged', async () => {
    const repo = 'small/manifests';
    const config = Buffer.from('{}');
    const configDigest = await pushBlob(repo, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [],
      }),
    );
    for (const type of ['text/plain', 'application/octet-stream', 'application/vnd.oci.image.layer.v1.tar']) {
      const res = await call('PUT', `/v2/${repo}/manifests/wrong`, { 'content-type': type }, manifest);
      const body = (await res.json()) as { errors: { code: string; message: string }[] };
      assert.equal(res.status, 400, type);
      assert.equal(body.errors[0]?.code, 'MANIFEST_INVALID');
      assert.match(body.errors[0]!.message, /not a manifest media type/);
    }
    assert.equal((await call('GET', `/v2/${repo}/manifests/wrong`)).status, 404);
    const tags = (await (await call('GET', `/v2/${repo}/tags/list`)).json()) as { tags: string[] };
    assert.deepEqual(tags.tags, []);
    // The manifest's own type, plain JSON, or no type with a mediaType in the body: accepted.
    for (const [tag, type] of [
      ['typed', 'application/vnd.oci.image.manifest.v1+json'],
      ['json', 'application/json'],
      ['none', undefined],
    ] as const) {
      const res = await fetch(`${arca.url}/v2/${repo}/manifests/${tag}`, {
        method: 'PUT',
        headers: { authorization: basic, ...(type ? { 'content-type': type } : {}) },
        body: new Blob([manifest]),
      });
      assert.equal(res.status, 201, `${tag}: ${await res.text()}`);
    }
  });

  test('hardening 11f: an upload URL whose id is no upload id answers BLOB_UPLOAD_UNKNOWN', async () => {
    const repo = 'small/uploads';
    await pushBlob(repo, Buffer.from('the repository exists'));
    const started = await call('POST', `/v2/${repo}/blobs/uploads/`);
    const location = started.headers.get('location')!;
    for (const id of [
      'not-an-id',
      'not-an-id/',
      'not/an/id',
      'not%2Fan-id',
      `${location.split('/').at(-1)}/x`,
    ]) {
      for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
        const res = await call(
          method,
          `/v2/${repo}/blobs/uploads/${id}${method === 'PUT' ? `?digest=${sha256(Buffer.alloc(0))}` : ''}`,
          method === 'PATCH' ? { 'content-type': 'application/octet-stream' } : {},
          method === 'PATCH' ? 'x' : undefined,
        );
        const body = (await res.json()) as { errors: { code: string }[] };
        assert.equal(res.status, 404, `${method} ${id}`);
        assert.equal(body.errors[0]?.code, 'BLOB_UPLOAD_UNKNOWN', `${method} ${id}: ${JSON.stringify(body)}`);
      }
    }
    // The real upload is untouched.
    assert.equal((await call('GET', location)).status, 204);
  });
});

/** One request from a chosen local address (127.0.0.2 is another client on the same machine). */
function requestFrom(
  localAddress: string,
  base: string,
  method: string,
  path: string,
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          headers: res.headers,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('hardening (http): upload sessions', () => {
  let arca: RunningArca;
  const perRepository = 40;
  const perCaller = 60;

  before(async () => {
    arca = await startArca({
      config: { limits: { uploadsperrepository: perRepository, uploadspercaller: perCaller } },
    });
  });
  after(async () => {
    await arca?.stop();
  });

  const open = (repo: string, from = '127.0.0.1') =>
    requestFrom(from, arca.url, 'POST', `/v2/${repo}/blobs/uploads/`);
  function rows(): number {
    const db = new Database(join(arca.dataDir, 'arca.db'), { readonly: true });
    try {
      return (db.prepare('select count(*) as n from uploads').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }
  const files = () => readdirSync(join(arca.dataDir, 'storage', '_uploads')).length;

  test('hardening 10: open upload sessions are capped per repository and per caller with TOOMANYREQUESTS', async (t) => {
    const started = Date.now();
    let opened = 0;
    let refused: { status: number; body: string } | undefined;
    for (let i = 0; i < perRepository + 10 && !refused; i++) {
      const res = await open('flood/one');
      if (res.status === 202) opened++;
      else refused = res;
    }
    assert.equal(opened, perRepository);
    assert.equal(refused?.status, 429);
    const error = (JSON.parse(refused.body) as { errors: { code: string; message: string }[] }).errors[0]!;
    assert.equal(error.code, 'TOOMANYREQUESTS');
    assert.match(error.message, /repository/);
    assert.equal(rows(), perRepository);
    assert.equal(files(), perRepository);

    // The same caller in other repositories, up to its own limit.
    let more = 0;
    refused = undefined;
    for (let i = 0; i < perCaller && !refused; i++) {
      const res = await open(`flood/other${i % 3}`);
      if (res.status === 202) more++;
      else refused = res;
    }
    assert.equal(perRepository + more, perCaller);
    assert.equal(refused?.status, 429);
    assert.match(refused.body, /TOOMANYREQUESTS.*caller/);
    // A monolithic push is an upload session too.
    const blob = Buffer.from('refused');
    const monolithic = await fetch(`${arca.url}/v2/flood/mono/blobs/uploads/?digest=${sha256(blob)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: blob,
    });
    assert.equal(monolithic.status, 429);
    assert.equal(rows(), perCaller);
    assert.equal(files(), perCaller);

    // Another client still gets in; a finished or cancelled session frees its place.
    assert.equal((await open('flood/two', '127.0.0.2')).status, 202);
    const first = await open('flood/three', '127.0.0.2');
    const cancel = await fetch(`${arca.url}${first.headers.location as string}`, { method: 'DELETE' });
    assert.equal(cancel.status, 204);
    t.diagnostic(
      `upload sessions: ${perRepository} in one repository and ${perCaller} per caller accepted, then 429; ` +
        `rows ${rows()}, upload files ${files()} (${Date.now() - started} ms)`,
    );
    assert.equal(rows(), perCaller + 1);
  });
});

describe('hardening (http): referrers', () => {
  let arca: RunningArca;
  const repo = 'big/referrers';
  const count = 25;
  const annotationBytes = 4_000_000;
  let subjectDigest: string;
  const referrers = new Set<string>();

  before(async () => {
    arca = await startArca();
    const config = Buffer.from('{}');
    const configDigest = sha256(config);
    const pushed = await fetch(`${arca.url}/v2/${repo}/blobs/uploads/?digest=${configDigest}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: config,
    });
    assert.equal(pushed.status, 201);
    const manifest = (extra: object) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.oci.empty.v1+json',
            digest: configDigest,
            size: config.length,
          },
          layers: [],
          ...extra,
        }),
      );
    const put = async (reference: string, body: Buffer<ArrayBuffer>) => {
      const res = await fetch(`${arca.url}/v2/${repo}/manifests/${reference}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
        body,
      });
      assert.equal(res.status, 201, await res.text());
    };
    const subject = manifest({});
    subjectDigest = sha256(subject);
    await put('subject', subject);
    for (let i = 0; i < count; i++) {
      const body = manifest({
        artifactType: 'application/vnd.example.big',
        subject: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: subjectDigest,
          size: subject.length,
        },
        annotations: { n: String(i), 'org.example.blob': String(i % 10).repeat(annotationBytes) },
      });
      referrers.add(sha256(body));
      await put(sha256(body), body);
    }
  });
  after(async () => {
    await arca?.stop();
  });

  /** Follow the Link pages from the first; every page's size and digests. */
  async function walk(query = '', maxPages = Infinity): Promise<{ pages: number[]; digests: string[] }> {
    const pages: number[] = [];
    const digests: string[] = [];
    let next: string | undefined = `/v2/${repo}/referrers/${subjectDigest}${query}`;
    while (next && pages.length < maxPages) {
      const res: Response = await fetch(`${arca.url}${next}`);
      assert.equal(res.status, 200);
      const text = await res.text();
      pages.push(text.length);
      const index = JSON.parse(text) as {
        manifests: { digest: string; annotations: Record<string, string> }[];
      };
      for (const m of index.manifests) {
        assert.equal(m.annotations['org.example.blob']?.length, annotationBytes);
        digests.push(m.digest);
      }
      const link = res.headers.get('link');
      next = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
      if (link) assert.ok(next, `a Link header that is no next link: ${link}`);
    }
    return { pages, digests };
  }

  test('hardening 8: referrers are paginated with Link, a page bounded in bytes, memory bounded', async (t) => {
    const one = await walk();
    assert.deepEqual([...one.digests].sort(), [...referrers].sort(), 'every referrer exactly once');
    const largest = Math.max(...one.pages);
    // A page holds about 1 MiB, or one descriptor when a single one is larger.
    assert.ok(largest < annotationBytes + (1 << 20), `largest page ${largest} bytes`);
    // The filter is kept across pages.
    const filtered = await walk('?artifactType=application/vnd.example.big');
    assert.equal(new Set(filtered.digests).size, count);

    const walkers = 6;
    const baseline = rssOf(arca.pid);
    let peak = baseline;
    let slowestHealthz = 0;
    let walking = true;
    const sampler = (async () => {
      while (walking) {
        peak = Math.max(peak, rssOf(arca.pid));
        const t0 = Date.now();
        assert.equal((await fetch(`${arca.url}/healthz`)).status, 200);
        slowestHealthz = Math.max(slowestHealthz, Date.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const started = Date.now();
    // Each walker reads the first pages concurrently with the others.
    const results = await Promise.all(Array.from({ length: walkers }, () => walk('', 5)));
    walking = false;
    await sampler;
    for (const r of results) assert.deepEqual(r.digests, one.digests.slice(0, 5));
    const growth = peak - baseline;
    const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    t.diagnostic(
      `referrers: ${count} referrers of ${MB(annotationBytes)} annotations in ${one.pages.length} pages ` +
        `(largest ${MB(largest)}); ${walkers} concurrent walks of 5 pages in ${Date.now() - started} ms: ` +
        `RSS ${MB(baseline)} -> peak ${MB(peak)} (+${MB(growth)}), slowest /healthz ${slowestHealthz} ms`,
    );
    assert.ok(growth < 250e6, `RSS grew by ${MB(growth)}`);
    // Generous: the machine running the tests may be loaded; one unpaginated request took 7 s.
    assert.ok(slowestHealthz < 5000, `/healthz took ${slowestHealthz} ms`);
  });
});
