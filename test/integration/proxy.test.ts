import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { apiClient, basicAuth, type ApiClient } from '../helpers/api-client.js';
import { startArca, secretsIn, type RunningArca } from '../helpers/arca.js';
import { arcaCli } from '../helpers/arca-cli.js';
import { countingForwarder, type CountingForwarder } from '../helpers/counting-forwarder.js';
import { dialects } from '../helpers/dialects.js';
import type { Credentials } from '../helpers/htpasswd.js';
import { buildImage, buildMultiPlatform, layoutDigest, OCI_MANIFEST } from '../helpers/images.js';
import { Podman } from '../helpers/podman.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { dockerRef, skopeo, skopeoCopy, skopeoInspectDigest } from '../helpers/skopeo.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const adminPassword = 'proxy-admin-Pass-31';
const admin: Credentials = { user: 'admin', pass: adminPassword };
const upstreamUser: Credentials = { user: 'puller', pass: 'upstream-Secret-4711' };
const wrongSecret = 'not-the-Secret-9876';
const upArcaPassword = 'upstream-arca-Pass-52';
/** Seconds a tag is trusted before the upstream is asked again. */
const ttlSeconds = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A manifest GET through Arca: status, digest, and the OCI error message if any. */
async function getManifest(base: string, path: string, auth: Credentials | null = admin) {
  const res = await fetch(`${base}/v2/${path}`, {
    headers: {
      Accept: `${OCI_MANIFEST}, application/vnd.oci.image.index.v1+json`,
      ...(auth ? { Authorization: basicAuth(auth) } : {}),
    },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let message = '';
  try {
    message = (JSON.parse(text) as { errors?: { message: string }[] }).errors?.[0]?.message ?? '';
  } catch {
    // not JSON
  }
  return { status: res.status, digest: res.headers.get('docker-content-digest'), message, text };
}

for (const dialect of dialects()) {
  describe(`pull-through caches (${dialect})`, { timeout: 170_000 }, () => {
    let work: TempDir;
    let upstream: RunningRegistry2 | undefined;
    let fwd: CountingForwarder | undefined;
    let upArca: RunningArca | undefined;
    let upFwd: CountingForwarder | undefined;
    let arca: RunningArca | undefined;
    let dropIn: RunningArca | undefined;
    let podman: Podman | undefined;
    let api: ApiClient;
    const digests: Record<string, string> = {};
    const cli = (args: string[]) =>
      arcaCli({ server: arca!.url, username: admin.user, password: admin.pass, configHome: work.path }, args);

    before(async () => {
      work = makeTempDir('arca-proxy-');
      const layout = join(work.path, 'layout');
      await buildMultiPlatform(layout, 'proxy', [3000, 5000]);
      await buildImage(layout, 'v1', { layers: 2, seed: 'proxy-img-1', sizes: [4000, 6000] });
      await buildImage(layout, 'v2', { layers: 2, seed: 'proxy-img-2', sizes: [4100, 6100] });
      upstream = await startRegistry2({ htpasswd: upstreamUser });
      const to = (repo: string, tag: string) => dockerRef(upstream!.host, repo, tag);
      await skopeoCopy(`oci:${layout}:multi`, to('lib/multi', 'v1'), { all: true, destCreds: upstreamUser });
      await skopeoCopy(`oci:${layout}:v1`, to('lib/img', 'v1'), { destCreds: upstreamUser });
      await skopeoCopy(`oci:${layout}:v2`, to('lib/img', 'next'), { destCreds: upstreamUser });
      digests.multi = await layoutDigest(layout, 'multi');
      digests.v1 = await layoutDigest(layout, 'v1');
      digests.v2 = await layoutDigest(layout, 'v2');
      fwd = await countingForwarder(upstream.url);

      upArca = await startArca({ dialect, auth: 'arca', env: { ARCA_ADMIN_PASSWORD: upArcaPassword } });
      await skopeoCopy(`oci:${layout}:v1`, dockerRef(upArca.host, 'team/img', 'v1'), {
        destCreds: { user: 'admin', pass: upArcaPassword },
      });
      upFwd = await countingForwarder(upArca.url);

      arca = await startArca({ dialect, auth: 'arca', env: { ARCA_ADMIN_PASSWORD: adminPassword } });
      api = apiClient(arca.url, admin);
      const credential = (name: string, registry: string, username: string, auth: string) =>
        api.ok('PUT', `/api/v1/credentials/${name}`, {
          type: 'REGISTRY',
          payload: { registry, username, auth },
        });
      await credential('up', fwd.url, upstreamUser.user, upstreamUser.pass);
      await credential('wrong', fwd.url, upstreamUser.user, wrongSecret);
      await credential('arcaup', upFwd.url, 'admin', upArcaPassword);
      const created = await cli([
        'registry',
        'create',
        'hub',
        '--proxy',
        fwd.url,
        '--credential',
        'up',
        '--ttl',
        `${ttlSeconds}s`,
      ]);
      assert.equal(created.code, 0, created.stderr);
      await api.ok('POST', '/api/v1/registries', {
        name: 'badhub',
        proxy: { url: fwd.url, credential: 'wrong' },
      });
      await api.ok('POST', '/api/v1/registries', {
        name: 'arcahub',
        proxy: { url: upFwd.url, credential: 'arcaup' },
      });
      podman = Podman.create();
    });

    after(async () => {
      // Everything started here stops, whatever failed.
      const stops = [dropIn, arca, upArca, upstream].map((s) => s?.stop().catch(() => undefined));
      await Promise.all([...stops, fwd?.close(), upFwd?.close(), podman?.cleanup().catch(() => undefined)]);
      await work?.cleanup();
    });

    test('a proxy registry is shown with its upstream; a credential for another origin or of another type is refused', async () => {
      const shown = (await api.ok('GET', '/api/v1/registries/hub')).body as {
        proxy: Record<string, unknown>;
      };
      assert.equal(shown.proxy.url, fwd!.url);
      assert.equal(shown.proxy.credential, 'up');
      assert.equal(shown.proxy.ttl_seconds, ttlSeconds);
      const elsewhere = await api.call('POST', '/api/v1/registries', {
        json: { name: 'other', proxy: { url: upFwd!.url, credential: 'up' } },
      });
      assert.equal(elsewhere.status, 400);
      assert.match(JSON.stringify(elsewhere.body), /stored for registry=.*never presented elsewhere/);
      const missing = await api.call('POST', '/api/v1/registries', {
        json: { name: 'other', proxy: { url: fwd!.url, credential: 'nope' } },
      });
      assert.equal(missing.status, 400);
      const badUrl = await api.call('POST', '/api/v1/registries', {
        json: { name: 'other', proxy: { url: 'ftp://x.example' } },
      });
      assert.equal(badUrl.status, 400);
    });

    test('skopeo and podman pull a multi-arch index and an image through the cache; digests identical', async () => {
      const upstreamDigest = await skopeoInspectDigest(dockerRef(upstream!.host, 'lib/multi', 'v1'), {
        creds: upstreamUser,
      });
      assert.equal(upstreamDigest, digests.multi);
      const out = join(work.path, 'pulled');
      await skopeoCopy(dockerRef(arca!.host, 'hub/lib/multi', 'v1'), `oci:${out}:m`, {
        all: true,
        srcCreds: admin,
        timeoutMs: 60_000,
      });
      assert.equal(await layoutDigest(out, 'm'), digests.multi);
      await podman!.pull(`${arca!.host}/hub/lib/img:v1`, { creds: admin, timeoutMs: 60_000 });
      assert.equal(await podman!.inspect(`${arca!.host}/hub/lib/img:v1`, '{{.Digest}}'), digests.v1);
      // A second pull is served from the cache: no blob GET reaches the upstream again.
      const blobGets = fwd!.count('GET', /\/blobs\/sha256:/);
      await skopeoCopy(dockerRef(arca!.host, 'hub/lib/multi', 'v1'), `oci:${out}:again`, {
        all: true,
        srcCreds: admin,
        timeoutMs: 60_000,
      });
      assert.equal(fwd!.count('GET', /\/blobs\/sha256:/), blobGets);
      // Listed like any content, counted per registry.
      const catalog = (await fetch(`${arca!.url}/v2/_catalog`, {
        headers: { Authorization: basicAuth(admin) },
      }).then((r) => r.json())) as { repositories: string[] };
      assert.ok(catalog.repositories.includes('hub/lib/multi'), JSON.stringify(catalog));
      const show = await cli(['registry', 'show', 'hub', '-o', 'json']);
      assert.equal(show.code, 0, show.stderr);
      const stats = (JSON.parse(show.stdout) as { proxy: { stats: Record<string, number> } }).proxy.stats;
      assert.ok(stats.hits! > 0 && stats.misses! > 0 && stats.upstream_bytes! > 0, JSON.stringify(stats));
      const metrics = await fetch(`${arca!.url}/metrics`).then((r) => r.text());
      assert.match(metrics, /arca_proxy_hits_total\{registry="hub"\} [1-9]/);
      assert.match(metrics, /arca_proxy_upstream_bytes_total\{registry="hub"\} [1-9]/);
    });

    test('pushes and deletes are refused with UNSUPPORTED; pulls need the caller pull access', async () => {
      const push = await fetch(`${arca!.url}/v2/hub/lib/img/blobs/uploads/`, {
        method: 'POST',
        headers: { Authorization: basicAuth(admin) },
      });
      assert.equal(push.status, 405);
      assert.match(await push.text(), /UNSUPPORTED/);
      const del = await fetch(`${arca!.url}/v2/hub/lib/img/manifests/${digests.v1}`, {
        method: 'DELETE',
        headers: { Authorization: basicAuth(admin) },
      });
      assert.equal(del.status, 405);
      const anonymous = await getManifest(arca!.url, 'hub/lib/img/manifests/v1', null);
      assert.equal(anonymous.status, 401);
      const copied = await skopeoCopy(
        `oci:${join(work.path, 'layout')}:v2`,
        dockerRef(arca!.host, 'hub/lib/new', 'v1'),
        {
          destCreds: admin,
          check: false,
          timeoutMs: 60_000,
        },
      );
      assert.notEqual(copied.code, 0);
    });

    test('a tag moved upstream is seen after the TTL and not before: one HEAD per TTL', async () => {
      const path = '/v2/lib/img/manifests/v1';
      // Wait out the TTL of the earlier pulls, then one GET revalidates (one HEAD) and starts a TTL.
      await sleep(ttlSeconds * 1000 + 100);
      const heads = fwd!.count('HEAD', path);
      const first = await getManifest(arca!.url, 'hub/lib/img/manifests/v1');
      const checkedAt = Date.now();
      assert.equal(first.digest, digests.v1);
      assert.equal(fwd!.count('HEAD', path), heads + 1);
      // Move the tag upstream: the manifest of `next` put under `v1` (milliseconds).
      const next = await fetch(`${upstream!.url}/v2/lib/img/manifests/next`, {
        headers: { Authorization: basicAuth(upstreamUser), Accept: OCI_MANIFEST },
      });
      const moved = await fetch(`${upstream!.url}/v2/lib/img/manifests/v1`, {
        method: 'PUT',
        headers: { Authorization: basicAuth(upstreamUser), 'Content-Type': OCI_MANIFEST },
        body: Buffer.from(await next.arrayBuffer()),
      });
      assert.equal(moved.status, 201);
      for (let i = 0; i < 3; i++) {
        const cached = await getManifest(arca!.url, 'hub/lib/img/manifests/v1');
        if (Date.now() - checkedAt < ttlSeconds * 1000) assert.equal(cached.digest, digests.v1);
      }
      assert.equal(fwd!.count('HEAD', path), heads + 1, 'no HEAD within the TTL');
      await sleep(Math.max(0, ttlSeconds * 1000 - (Date.now() - checkedAt)) + 100);
      const fresh = await getManifest(arca!.url, 'hub/lib/img/manifests/v1');
      assert.equal(fresh.digest, digests.v2);
      assert.equal(fwd!.count('HEAD', path), heads + 2);
      await getManifest(arca!.url, 'hub/lib/img/manifests/v1');
      assert.equal(fwd!.count('HEAD', path), heads + 2);
    });

    test('a Bearer upstream (Arca with token auth): a token per repository scope, digests identical', async () => {
      const out = join(work.path, 'from-arca');
      await skopeoCopy(dockerRef(arca!.host, 'arcahub/team/img', 'v1'), `oci:${out}:x`, {
        srcCreds: admin,
        timeoutMs: 60_000,
      });
      assert.equal(await layoutDigest(out, 'x'), digests.v1);
      // Manifest and blobs with one token of the scope repository:team/img:pull.
      assert.equal(upFwd!.count('GET', '/auth/token'), 1);
      const missing = await getManifest(arca!.url, 'arcahub/team/none/manifests/v1');
      assert.equal(missing.status, 404);
    });

    test('a wrong credential: the error names the credential and the upstream, never the secret', async () => {
      const refused = await getManifest(arca!.url, 'badhub/lib/img/manifests/v1');
      assert.equal(refused.status, 403);
      assert.match(refused.message, /credential 'wrong'/);
      assert.ok(refused.message.includes(new URL(fwd!.url).origin), refused.message);
      assert.ok(!refused.text.includes(wrongSecret));
      const viaSkopeo = await skopeo(
        [
          'inspect',
          '--tls-verify=false',
          '--creds',
          `${admin.user}:${admin.pass}`,
          'docker://' + `${arca!.host}/badhub/lib/img:v1`,
        ],
        { check: false, timeoutMs: 60_000 },
      );
      assert.notEqual(viaSkopeo.code, 0);
      assert.match(viaSkopeo.stderr, /credential 'wrong'/);
      const shown = await api.ok('GET', '/api/v1/credentials/wrong');
      assert.ok(!JSON.stringify(shown.body).includes(wrongSecret));
      const logs = arca!.logs();
      assert.ok(!logs.includes(wrongSecret) && !logs.includes(upstreamUser.pass), 'no secret in the log');
      assert.deepEqual(secretsIn(logs), []);
    });

    test("registry:2's proxy section (REGISTRY_PROXY_* variables) makes the default registry a cache", async () => {
      dropIn = await startArca({
        dialect,
        env: {
          REGISTRY_PROXY_REMOTEURL: fwd!.url,
          REGISTRY_PROXY_USERNAME: upstreamUser.user,
          REGISTRY_PROXY_PASSWORD: upstreamUser.pass,
          REGISTRY_PROXY_TTL: '1m',
        },
      });
      assert.equal(await skopeoInspectDigest(dockerRef(dropIn.host, 'lib/multi', 'v1')), digests.multi);
      const push = await fetch(`${dropIn.url}/v2/lib/multi/blobs/uploads/`, { method: 'POST' });
      assert.equal(push.status, 405);
      assert.ok(!dropIn.logs().includes(upstreamUser.pass));
    });

    test('the upstream stopped: cached tags and digests still pull, an uncached tag fails fast', async () => {
      fwd!.down = true;
      await sleep(ttlSeconds * 1000 + 100);
      const out = join(work.path, 'offline');
      await skopeoCopy(dockerRef(arca!.host, 'hub/lib/multi', 'v1'), `oci:${out}:m`, {
        all: true,
        srcCreds: admin,
        timeoutMs: 60_000,
      });
      assert.equal(await layoutDigest(out, 'm'), digests.multi);
      const byDigest = await getManifest(arca!.url, `hub/lib/img/manifests/${digests.v1}`);
      assert.equal(byDigest.status, 200);
      const started = Date.now();
      const uncached = await getManifest(arca!.url, 'hub/lib/img/manifests/never-pulled');
      assert.equal(uncached.status, 503, uncached.text);
      assert.match(uncached.message, /not available/);
      assert.ok(Date.now() - started < 10_000, `answered in ${Date.now() - started} ms`);
      assert.match(arca!.logs(), /serving the cached tag/);
      const stats = (
        (await api.ok('GET', '/api/v1/registries/hub')).body as { proxy: { stats: Record<string, number> } }
      ).proxy.stats;
      assert.ok(stats.upstream_errors! > 0, JSON.stringify(stats));
    });
  });
}
