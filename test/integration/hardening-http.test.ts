import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { apiCall, basicAuth, type Answer } from '../helpers/api-client.js';
import { rssOf, startArca, type RunningArca } from '../helpers/arca.js';
import { dialects } from '../helpers/dialects.js';
import { sha256 } from '../helpers/images.js';
import { pushBlob as pushBlobOf, putManifest } from '../helpers/oci-push.js';
import { rawRequest } from '../helpers/raw-http.js';
import { waitFor } from '../helpers/wait-for.js';

const adminPassword = 'hardening-http-admin-pw';
const basic = basicAuth({ user: 'admin', pass: adminPassword });

describe('hardening (http): small ones', () => {
  let arca: RunningArca;
  /** A request as the admin; a body without a content type is sent without one. */
  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer) =>
    apiCall(arca.url, method, path, { auth: basic, headers, body });
  const pushBlob = (repo: string, data: Buffer) => pushBlobOf(arca.url, repo, data, basic);

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
        const res = await call(post.method, post.path, headers, post.body);
        const answer = res.body;
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
    const users = (await call('GET', '/api/v1/users')).body as { items: { name: string }[] };
    assert.ok(!users.items.some((u) => u.name === 'csrf'));
    const entries = (
      await call('POST', '/container_registries', { 'content-type': 'application/json' }, '{}')
    ).body as { data: { container_registry_name: string }[] };
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
      const body = res.body as { errors: { code: string; message: string }[] };
      assert.equal(res.status, 400, type);
      assert.equal(body.errors[0]?.code, 'MANIFEST_INVALID');
      assert.match(body.errors[0]!.message, /not a manifest media type/);
    }
    assert.equal((await call('GET', `/v2/${repo}/manifests/wrong`)).status, 404);
    const tags = (await call('GET', `/v2/${repo}/tags/list`)).body as { tags: string[] };
    assert.deepEqual(tags.tags, []);
    // The manifest's own type, plain JSON, or no type with a mediaType in the body: accepted.
    for (const [tag, type] of [
      ['typed', 'application/vnd.oci.image.manifest.v1+json'],
      ['json', 'application/json'],
      ['none', undefined],
    ] as const) {
      const res = await call(
        'PUT',
        `/v2/${repo}/manifests/${tag}`,
        type ? { 'content-type': type } : {},
        manifest,
      );
      assert.equal(res.status, 201, `${tag}: ${res.text}`);
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
        const body = res.body as { errors: { code: string }[] };
        assert.equal(res.status, 404, `${method} ${id}`);
        assert.equal(body.errors[0]?.code, 'BLOB_UPLOAD_UNKNOWN', `${method} ${id}: ${JSON.stringify(body)}`);
      }
    }
    // The real upload is untouched.
    assert.equal((await call('GET', location)).status, 204);
  });
});

for (const dialect of dialects()) {
  describe(`hardening (http): upload sessions (${dialect})`, () => {
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

    /** Open an upload session from a chosen local address (127.0.0.2 is another client on the same machine). */
    const open = (repo: string, from = '127.0.0.1') =>
      apiCall(arca.url, 'POST', `/v2/${repo}/blobs/uploads/`, { from });
    /** Upload rows, as the server counts them (on either database). */
    async function rows(): Promise<number> {
      const text = await (await fetch(`${arca.url}/metrics`)).text();
      return Number(/^arca_uploads_in_progress (\d+)$/m.exec(text)?.[1]);
    }
    const files = () => readdirSync(join(arca.dataDir, 'storage', '_uploads')).length;

    test('hardening 10: open upload sessions are capped per repository and per caller with TOOMANYREQUESTS', async (t) => {
      const started = Date.now();
      let opened = 0;
      let refused: Answer | undefined;
      for (let i = 0; i < perRepository + 10 && !refused; i++) {
        const res = await open('flood/one');
        if (res.status === 202) opened++;
        else refused = res;
      }
      assert.equal(opened, perRepository);
      assert.equal(refused?.status, 429);
      const error = (refused.body as { errors: { code: string; message: string }[] }).errors[0]!;
      assert.equal(error.code, 'TOOMANYREQUESTS');
      assert.match(error.message, /repository/);
      assert.equal(await rows(), perRepository);
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
      assert.match(refused.text, /TOOMANYREQUESTS.*caller/);
      // A monolithic push is an upload session too.
      const blob = Buffer.from('refused');
      const monolithic = await apiCall(
        arca.url,
        'POST',
        `/v2/flood/mono/blobs/uploads/?digest=${sha256(blob)}`,
        {
          headers: { 'content-type': 'application/octet-stream' },
          body: blob,
        },
      );
      assert.equal(monolithic.status, 429);
      assert.equal(await rows(), perCaller);
      assert.equal(files(), perCaller);

      // Another client still gets in; a finished or cancelled session frees its place.
      assert.equal((await open('flood/two', '127.0.0.2')).status, 202);
      const first = await open('flood/three', '127.0.0.2');
      const cancel = await apiCall(arca.url, 'DELETE', first.headers.get('location')!);
      assert.equal(cancel.status, 204);
      t.diagnostic(
        `upload sessions: ${perRepository} in one repository and ${perCaller} per caller accepted, then 429; ` +
          `rows ${await rows()}, upload files ${files()} (${Date.now() - started} ms)`,
      );
      assert.equal(await rows(), perCaller + 1);
    });
  });
}

for (const dialect of dialects()) {
  describe(`hardening (http): referrers (${dialect})`, () => {
    let arca: RunningArca;
    const repo = 'big/referrers';
    const count = 25;
    const annotationBytes = 4_000_000;
    let subjectDigest: string;
    const referrers = new Set<string>();

    before(async () => {
      arca = await startArca({ dialect });
      const config = Buffer.from('{}');
      const configDigest = await pushBlobOf(arca.url, repo, config);
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
      const put = async (reference: string, body: Buffer) => {
        const res = await putManifest(arca.url, repo, reference, body);
        assert.equal(res.status, 201, res.text);
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
        const res: Answer = await apiCall(arca.url, 'GET', next);
        assert.equal(res.status, 200);
        const text = res.text;
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
}

/** Sockets to the server; each resolves `closed` with the time the server closed it. */
function openSocket(
  base: string,
  localAddress = '127.0.0.1',
): Promise<{ socket: Socket; closed: Promise<number> }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress });
    socket.on('error', () => undefined);
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** Open descriptors of a process. */
const fdsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

describe('hardening (http): slow clients', () => {
  let arca: RunningArca;
  const header = 2000;
  const request = 3000;
  const idle = 2000;

  before(async () => {
    arca = await startArca({
      config: {
        http: { timeouts: { header: '2s', request: '3s', idle: '2s' }, maxconnectionsperaddress: 1000 },
      },
    });
  });
  after(async () => {
    await arca?.stop();
  });

  test('hardening 9: 200 connections trickling headers, and bodies trickled a byte a second, are cut by the timeouts', async (t) => {
    const trickling = 200;
    const started = Date.now();
    const sockets = await Promise.all(Array.from({ length: trickling }, () => openSocket(arca.url)));
    const bodies = await Promise.all(Array.from({ length: 20 }, () => openSocket(arca.url)));
    const tick = setInterval(() => {
      for (const { socket } of sockets) if (!socket.destroyed) socket.write('x');
      for (const { socket } of bodies) if (!socket.destroyed) socket.write(' ');
    }, 1000);
    // Read what the server sends (its 408), so a close is seen when it happens.
    for (const { socket } of [...sockets, ...bodies]) socket.resume();
    for (const { socket } of sockets) socket.write('GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    for (const { socket } of bodies) {
      socket.write(
        'POST /container_registries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
      );
    }
    // Meanwhile the server answers others at once.
    const t0 = Date.now();
    assert.equal((await fetch(`${arca.url}/healthz`)).status, 200);
    const healthz = Date.now() - t0;
    const headerCuts = (await Promise.all(sockets.map((s) => s.closed))).map((at) => at - started);
    const bodyCuts = (await Promise.all(bodies.map((s) => s.closed))).map((at) => at - started);
    clearInterval(tick);
    const slowestHeader = Math.max(...headerCuts);
    const slowestBody = Math.max(...bodyCuts);
    t.diagnostic(
      `slow clients: ${trickling} header tricklers cut after ${Math.min(...headerCuts)}-${slowestHeader} ms ` +
        `(header timeout ${header} ms), 20 body tricklers after ${Math.min(...bodyCuts)}-${slowestBody} ms ` +
        `(request timeout ${request} ms); /healthz meanwhile ${healthz} ms`,
    );
    assert.ok(slowestHeader < header + 3000, `a header trickler held ${slowestHeader} ms`);
    assert.ok(Math.min(...bodyCuts) >= request - 500, 'a body is cut by the request timeout, not before');
    assert.ok(slowestBody < request + 3000, `a body trickler held ${slowestBody} ms`);
  });

  test('hardening 9: a blob upload slower than the request timeout is not cut while bytes move', async () => {
    const repo = 'slow/upload';
    const started = await apiCall(arca.url, 'POST', `/v2/${repo}/blobs/uploads/`);
    const location = started.headers.get('location')!;
    const chunks = 12;
    const chunk = Buffer.alloc(1024, 7);
    const body = new Readable({ read() {} });
    let sent = 0;
    const timer = setInterval(() => {
      body.push(chunk);
      if (++sent === chunks) {
        clearInterval(timer);
        body.push(null);
      }
    }, 500);
    const { status } = await apiCall(arca.url, 'PATCH', location, {
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    assert.equal(status, 202, `an upload of ${chunks * 500} ms (request timeout ${request} ms)`);
  });

  test('hardening 9: 150 blob GETs that never read release their descriptors and memory after the idle timeout', async (t) => {
    const repo = 'slow/readers';
    const blob = randomBytes(48 << 20);
    const digest = await pushBlobOf(arca.url, repo, blob);
    const readers = 150;
    await new Promise((r) => setTimeout(r, 200));
    const baseFds = fdsOf(arca.pid);
    const baseRss = rssOf(arca.pid);
    const started = Date.now();
    const sockets = await Promise.all(Array.from({ length: readers }, () => openSocket(arca.url)));
    for (const { socket } of sockets) {
      socket.pause(); // never read: the server's writes stall once the kernel's buffers are full
      socket.write(`GET /v2/${repo}/blobs/${digest} HTTP/1.1\r\nHost: x\r\n\r\n`);
    }
    let peakFds = baseFds;
    let peakRss = baseRss;
    // The writes stall once the kernel buffers of 150 connections are full (seconds on a loaded
    // machine); the idle timeout runs from then.
    const fds = await waitFor(
      () => {
        const now = fdsOf(arca.pid);
        peakFds = Math.max(peakFds, now);
        peakRss = Math.max(peakRss, rssOf(arca.pid));
        return now;
      },
      (now) => peakFds >= baseFds + readers && now <= baseFds + 2,
      { timeoutMs: idle + 40_000, intervalMs: 100 },
    );
    const releasedAfter = Date.now() - started;
    for (const { socket } of sockets) socket.destroy();
    // Memory comes back once the released buffers are collected; a few requests let that happen.
    for (let i = 0; i < 20; i++) await fetch(`${arca.url}/healthz`);
    await new Promise((r) => setTimeout(r, 500));
    const afterRss = rssOf(arca.pid);
    t.diagnostic(
      `stalled readers: ${readers} blob GETs never read: fds ${baseFds} -> peak ${peakFds} -> ${fds} ` +
        `after ${releasedAfter} ms (idle timeout ${idle} ms); RSS ${MB(baseRss)} -> peak ${MB(peakRss)} ` +
        `(${MB((peakRss - baseRss) / readers)} per reader) -> ${MB(afterRss)}`,
    );
    assert.ok(peakFds >= baseFds + readers, `the readers were served (${peakFds} descriptors at most)`);
    assert.ok(fds <= baseFds + 2, `descriptors left: ${fds} (baseline ${baseFds})`);
    assert.ok(
      (peakRss - baseRss) / readers < 1.5e6,
      `${MB((peakRss - baseRss) / readers)} per stalled reader`,
    );
    assert.ok(afterRss - baseRss < 100e6, `RSS after: ${MB(afterRss)} (baseline ${MB(baseRss)})`);
  });
});

describe('hardening (http): connections per address', () => {
  let arca: RunningArca;
  const limit = 12;

  before(async () => {
    arca = await startArca({ config: { http: { maxconnectionsperaddress: limit } } });
  });
  after(async () => {
    await arca?.stop();
  });

  test('hardening 9: connection N+1 from one address is refused with 429 while another address gets in', async (t) => {
    const held = await Promise.all(Array.from({ length: limit }, () => openSocket(arca.url)));
    // The server has counted them once it answers on one of them.
    held[0]!.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => held[0]!.socket.once('data', r));
    const refused = await rawRequest(arca.url, 'GET', '/v2/');
    assert.equal(refused.status, 429);
    assert.equal(
      (JSON.parse(refused.body) as { errors: { code: string }[] }).errors[0]?.code,
      'TOOMANYREQUESTS',
    );
    const other = await apiCall(arca.url, 'GET', '/v2/', { from: '127.0.0.2' });
    assert.equal(other.status, 200);
    // A closed connection frees its place.
    held[1]!.socket.destroy();
    await held[1]!.closed;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await rawRequest(arca.url, 'GET', '/v2/')).status, 200);
    t.diagnostic(`connections per address: ${limit} held, the next refused with 429, 127.0.0.2 served`);
    for (const { socket } of held) socket.destroy();
  });
});
