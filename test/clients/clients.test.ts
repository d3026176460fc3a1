/**
 * Real OCI clients (skopeo, umoci, podman) against a running registry on 127.0.0.1.
 *
 * Targets: Arca on each dialect by default; `ARCA_TEST_TARGETS=registry2` runs the same tests
 * against the CNCF registry 2.8 to prove them right (see test/helpers/targets.ts).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildImage,
  buildIndex,
  compareTrees,
  deriveImage,
  DOCKER_MANIFEST,
  imageLayersSize,
  layoutDigest,
  OCI_INDEX,
  OCI_MANIFEST,
  readBlob,
  seededBytes,
  sha256,
  unpackImage,
  type BuiltImage,
} from '../helpers/images.js';
import { Podman } from '../helpers/podman.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import {
  dockerRef,
  skopeo,
  skopeoCopy,
  skopeoDelete,
  skopeoInspectDigest,
  skopeoInspectRaw,
  skopeoListTags,
  skopeoLogin,
} from '../helpers/skopeo.js';
import { apiCall } from '../helpers/api-client.js';
import { stopSharedCephRgw } from '../helpers/ceph-rgw.js';
import { selectedTargets, type TargetServer } from '../helpers/targets.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const targets = selectedTargets();
after(stopSharedCephRgw);
const TEST_TIMEOUT = 180_000;
const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST].join(', ');

interface OciErrorBody {
  errors: { code: string; message?: string }[];
}

for (const target of targets) {
  describe(`OCI clients against ${target.name}`, { timeout: 600_000 }, () => {
    let server: TargetServer;
    let work: TempDir;
    /** The layout with the base image `v1` (3 layers) that several tests push. */
    let base: BuiltImage;

    before(async () => {
      work = makeTempDir('clients-');
      server = await target.start();
      base = await buildImage(join(work.path, 'base'), 'v1', { layers: 3, seed: 'clients-base' });
    });

    after(async () => {
      await server?.stop();
      await work?.cleanup();
    });

    /** Assertion messages carry the end of the server log. */
    function withLog(message: string): string {
      const log = server.logs().trimEnd().split('\n').slice(-30).join('\n');
      return log ? `${message}\n--- ${target.name} log (tail) ---\n${log}` : message;
    }

    it(
      'skopeo pushes a 3-layer umoci image and pulls it back: same digest, same files',
      { timeout: TEST_TIMEOUT },
      async () => {
        const layers = await imageLayersSize(base.layout, base.tag);
        assert.ok(layers < 8 * 1024 * 1024, `test image too big: ${layers} bytes`);
        const ref = dockerRef(server.host, 'clients/umoci', 'v1');

        await skopeoCopy(base.ref, ref);

        assert.equal(
          await skopeoInspectDigest(ref),
          base.digest,
          withLog('skopeo inspect digest after push'),
        );
        const raw = await skopeoInspectRaw(ref);
        assert.equal(sha256(raw), base.digest);
        assert.ok(
          raw.equals(await readBlob(base.layout, base.digest)),
          'served manifest bytes differ from pushed ones',
        );

        // Raw HTTP: the digest and media type headers of the manifest.
        const head = await fetch(`${server.url}/v2/clients/umoci/manifests/v1`, {
          method: 'HEAD',
          headers: { accept: MANIFEST_ACCEPT },
        });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('docker-content-digest'), base.digest);
        assert.equal(head.headers.get('content-type'), OCI_MANIFEST);
        assert.equal(head.headers.get('content-length'), String(raw.length));

        const pulled = join(work.path, 'pulled');
        await skopeoCopy(ref, `oci:${pulled}:v1`);
        assert.equal(await layoutDigest(pulled, 'v1'), base.digest);
        // And by digest.
        await skopeoCopy(dockerRef(server.host, 'clients/umoci', base.digest), `oci:${pulled}:bydigest`);
        assert.equal(await layoutDigest(pulled, 'bydigest'), base.digest);

        const rootfs = await unpackImage(pulled, 'v1', join(work.path, 'bundle-v1'));
        assert.deepEqual(await compareTrees(base.rootfs, rootfs), []);
      },
    );

    it(
      'skopeo -f v2s2 pushes a Docker schema 2 manifest whose digest survives the pull',
      { timeout: TEST_TIMEOUT },
      async () => {
        const ref = dockerRef(server.host, 'clients/v2s2', 'v1');
        await skopeoCopy(base.ref, ref, { format: 'v2s2' });

        const raw = await skopeoInspectRaw(ref);
        const manifest = JSON.parse(raw.toString('utf8')) as {
          mediaType: string;
          layers: { digest: string; mediaType: string }[];
        };
        assert.equal(manifest.mediaType, DOCKER_MANIFEST);
        const digest = sha256(raw);
        assert.notEqual(digest, base.digest, 'v2s2 conversion should give a new manifest');
        assert.equal(await skopeoInspectDigest(ref), digest);
        // The layers are the same blobs as in the OCI manifest.
        const oci = JSON.parse((await readBlob(base.layout, base.digest)).toString('utf8')) as {
          layers: { digest: string }[];
        };
        assert.deepEqual(
          manifest.layers.map((l) => l.digest),
          oci.layers.map((l) => l.digest),
        );
        assert.ok(
          manifest.layers.every((l) => l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip'),
        );

        const res = await fetch(`${server.url}/v2/clients/v2s2/manifests/v1`, {
          headers: { accept: MANIFEST_ACCEPT },
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), DOCKER_MANIFEST);
        assert.equal(res.headers.get('docker-content-digest'), digest);
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(raw));

        // The dir: transport keeps the manifest bytes as served (an OCI layout would convert them).
        const dir = join(work.path, 'v2s2-dir');
        await skopeoCopy(ref, `dir:${dir}`);
        assert.equal(sha256(await readFile(join(dir, 'manifest.json'))), digest);
        // Pulled by digest, too.
        await skopeoCopy(dockerRef(server.host, 'clients/v2s2', digest), `dir:${dir}-bydigest`);
        assert.equal(sha256(await readFile(join(`${dir}-bydigest`, 'manifest.json'))), digest);

        // Converted to OCI on the way into a layout, the files are still the same.
        const pulled = join(work.path, 'v2s2-oci');
        await skopeoCopy(ref, `oci:${pulled}:v1`);
        const rootfs = await unpackImage(pulled, 'v1', join(work.path, 'bundle-v2s2'));
        assert.deepEqual(await compareTrees(base.rootfs, rootfs), []);
      },
    );

    it(
      'skopeo --all pushes and pulls a multi-arch OCI index with its digest',
      { timeout: TEST_TIMEOUT },
      async () => {
        const layout = join(work.path, 'multi');
        const amd64 = await buildImage(layout, 'amd64', {
          layers: 2,
          seed: 'multi-amd64',
          architecture: 'amd64',
        });
        const arm64 = await buildImage(layout, 'arm64', {
          layers: 2,
          seed: 'multi-arm64',
          architecture: 'arm64',
        });
        const indexDigest = await buildIndex(layout, 'multi', ['amd64', 'arm64']);
        const ref = dockerRef(server.host, 'clients/multi', 'v1');

        await skopeoCopy(`oci:${layout}:multi`, ref, { all: true });

        assert.equal(await skopeoInspectDigest(ref), indexDigest, withLog('index digest after push'));
        const raw = await skopeoInspectRaw(ref);
        assert.equal(sha256(raw), indexDigest);
        assert.ok(raw.equals(await readBlob(layout, indexDigest)));
        const index = JSON.parse(raw.toString('utf8')) as {
          mediaType: string;
          manifests: { digest: string; platform: { architecture: string } }[];
        };
        assert.equal(index.mediaType, OCI_INDEX);
        assert.deepEqual(
          index.manifests.map((m) => [m.platform.architecture, m.digest]),
          [
            ['amd64', amd64.digest],
            ['arm64', arm64.digest],
          ],
        );
        for (const child of [amd64, arm64]) {
          const childRef = dockerRef(server.host, 'clients/multi', child.digest);
          assert.equal(sha256(await skopeoInspectRaw(childRef)), child.digest);
        }
        const res = await fetch(`${server.url}/v2/clients/multi/manifests/v1`, {
          method: 'HEAD',
          headers: { accept: MANIFEST_ACCEPT },
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), OCI_INDEX);
        assert.equal(res.headers.get('docker-content-digest'), indexDigest);

        const pulled = join(work.path, 'multi-pulled');
        await skopeoCopy(ref, `oci:${pulled}:multi`, { all: true });
        assert.equal(await layoutDigest(pulled, 'multi'), indexDigest);
        for (const child of [amd64, arm64]) {
          const manifest = JSON.parse((await readBlob(pulled, child.digest)).toString('utf8')) as {
            config: { digest: string };
            layers: { digest: string }[];
          };
          for (const blob of [manifest.config, ...manifest.layers]) await readBlob(pulled, blob.digest);
        }
      },
    );

    describe('copies between registry:2 and the target keep every digest', () => {
      let peer: RunningRegistry2;
      before(async () => {
        peer = await startRegistry2();
      });
      after(async () => {
        await peer?.stop();
      });

      it(
        'registry:2 → target → registry:2 for an OCI image, a Docker v2s2 image and an index',
        { timeout: TEST_TIMEOUT },
        async () => {
          const layout = join(work.path, 'peer');
          await buildImage(layout, 'amd64', { layers: 2, seed: 'peer-amd64', architecture: 'amd64' });
          await buildImage(layout, 'arm64', { layers: 2, seed: 'peer-arm64', architecture: 'arm64' });
          const indexDigest = await buildIndex(layout, 'multi', ['amd64', 'arm64']);

          // Seed the peer.
          const srcImage = dockerRef(peer.host, 'src/img', 'v1');
          const srcDocker = dockerRef(peer.host, 'src/docker', 'v1');
          const srcIndex = dockerRef(peer.host, 'src/multi', 'v1');
          await skopeoCopy(base.ref, srcImage);
          await skopeoCopy(base.ref, srcDocker, { format: 'v2s2' });
          await skopeoCopy(`oci:${layout}:multi`, srcIndex, { all: true });
          const dockerDigest = await skopeoInspectDigest(srcDocker);
          const cases = [
            { name: 'img', src: srcImage, digest: base.digest, all: false },
            { name: 'docker', src: srcDocker, digest: dockerDigest, all: false },
            { name: 'multi', src: srcIndex, digest: indexDigest, all: true },
          ];
          assert.equal(await skopeoInspectDigest(srcImage), base.digest);
          assert.equal(await skopeoInspectDigest(srcIndex), indexDigest);

          for (const c of cases) {
            const onTarget = dockerRef(server.host, `mirror/${c.name}`, 'v1');
            await skopeoCopy(c.src, onTarget, { all: c.all, preserveDigests: true });
            assert.equal(
              await skopeoInspectDigest(onTarget),
              c.digest,
              withLog(`${c.name}: digest on the target`),
            );
            assert.equal(sha256(await skopeoInspectRaw(onTarget)), c.digest);

            const back = dockerRef(peer.host, `back/${c.name}`, 'v1');
            await skopeoCopy(onTarget, back, { all: c.all, preserveDigests: true });
            assert.equal(await skopeoInspectDigest(back), c.digest, `${c.name}: digest back on registry:2`);
            assert.ok((await skopeoInspectRaw(back)).equals(await skopeoInspectRaw(c.src)));
          }
        },
      );
    });

    it(
      'htpasswd basic auth: 401 challenge, podman login/push/pull, skopeo without creds refused',
      { timeout: TEST_TIMEOUT },
      async () => {
        const creds = { user: 'testuser', pass: 'testpass' };
        const auth = await target.start({ htpasswd: creds });
        const podman = Podman.create();
        const podman2 = Podman.create();
        try {
          // Raw HTTP: the challenge and the OCI error body.
          const anon = await fetch(`${auth.url}/v2/`);
          assert.equal(anon.status, 401);
          assert.equal(anon.headers.get('www-authenticate'), 'Basic realm="basic-realm"');
          const body = (await anon.json()) as OciErrorBody;
          assert.equal(body.errors[0]?.code, 'UNAUTHORIZED');
          const wrong = await apiCall(auth.url, 'GET', '/v2/', { auth: { user: creds.user, pass: 'wrong' } });
          assert.equal(wrong.status, 401);
          const ok = await apiCall(auth.url, 'GET', '/v2/', { auth: creds });
          assert.equal(ok.status, 200);
          const anonManifest = await fetch(`${auth.url}/v2/auth/hello/manifests/v1`);
          assert.equal(anonManifest.status, 401);
          assert.equal(((await anonManifest.json()) as OciErrorBody).errors[0]?.code, 'UNAUTHORIZED');

          // podman login: a wrong password fails, the right one writes only the given auth file.
          const badAuthfile = join(work.path, 'podman-bad-auth.json');
          const bad = await podman.login(
            auth.host,
            { ...creds, pass: 'wrong' },
            { authfile: badAuthfile, check: false },
          );
          assert.notEqual(bad.code, 0);
          assert.match(bad.stderr, /invalid username\/password|unauthorized/i);
          const authfile = join(work.path, 'podman-auth.json');
          const login = await podman.login(auth.host, creds, { authfile });
          assert.match(login.stdout, /Login Succeeded/);
          const saved = JSON.parse(await readFile(authfile, 'utf8')) as { auths: Record<string, unknown> };
          assert.ok(saved.auths[auth.host], `auth file has no entry for ${auth.host}`);

          // podman build (FROM scratch + COPY) and push with the auth file.
          const ctx = join(work.path, 'podman-ctx');
          const payload = join(ctx, 'payload');
          await mkdir(join(payload, 'sub'), { recursive: true });
          await writeFile(join(payload, 'hello.txt'), 'hello from podman\n');
          await writeFile(join(payload, 'sub', 'data.bin'), seededBytes('podman', 300 * 1024));
          await writeFile(join(payload, 'sub', 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
          await symlink('hello.txt', join(payload, 'link'));
          await writeFile(
            join(ctx, 'Containerfile'),
            'FROM scratch\nCOPY payload /data\nCMD ["/data/sub/run.sh"]\n',
          );
          const imageId = await podman.build(ctx, 'localhost/arca-test/hello:v1');
          const remote = `${auth.host}/auth/hello:v1`;
          const noCreds = await podman.push('localhost/arca-test/hello:v1', `docker://${remote}`, {
            check: false,
          });
          assert.notEqual(noCreds.result.code, 0);
          assert.match(noCreds.result.stderr, /unauthorized|authentication required/i);
          const { digest } = await podman.push('localhost/arca-test/hello:v1', `docker://${remote}`, {
            authfile,
          });
          assert.match(digest, /^sha256:[0-9a-f]{64}$/);

          // skopeo: without credentials refused, with podman's auth file or --creds fine.
          const refused = await skopeo(['inspect', '--tls-verify=false', `docker://${remote}`]);
          assert.notEqual(refused.code, 0);
          assert.match(refused.stderr, /unauthorized/i);
          const refusedCopy = await skopeoCopy(base.ref, dockerRef(auth.host, 'auth/umoci', 'v1'), {
            check: false,
          });
          assert.notEqual(refusedCopy.code, 0);
          assert.match(refusedCopy.stderr, /unauthorized/i);
          assert.equal(await skopeoInspectDigest(`docker://${remote}`, { authfile }), digest);
          assert.equal(await skopeoInspectDigest(`docker://${remote}`, { creds }), digest);
          const skopeoAuthfile = join(work.path, 'skopeo-auth.json');
          const badLogin = await skopeoLogin(
            auth.host,
            { ...creds, pass: 'wrong' },
            { authfile: skopeoAuthfile, check: false },
          );
          assert.notEqual(badLogin.code, 0);
          assert.match(badLogin.stderr, /invalid username\/password|unauthorized/i);
          await skopeoLogin(auth.host, creds, { authfile: skopeoAuthfile });
          assert.equal(await skopeoInspectDigest(`docker://${remote}`, { authfile: skopeoAuthfile }), digest);
          await skopeoCopy(base.ref, dockerRef(auth.host, 'auth/umoci', 'v1'), { destCreds: creds });
          assert.equal(
            await skopeoInspectDigest(dockerRef(auth.host, 'auth/umoci', 'v1'), { creds }),
            base.digest,
          );

          // podman pull into fresh storage: refused without the auth file, then the same image.
          const anonPull = await podman2.pull(remote, { check: false });
          assert.notEqual(anonPull.code, 0);
          assert.match(anonPull.stderr, /unauthorized|authentication required/i);
          await podman2.pull(remote, { authfile });
          assert.equal(await podman2.inspect(remote, '{{.Id}}'), imageId);
          assert.equal(await podman2.inspect(remote, '{{.Digest}}'), digest);
          const out = join(work.path, 'podman-out');
          await podman2.push(remote, `oci:${out}:v1`);
          const rootfs = await unpackImage(out, 'v1', join(work.path, 'bundle-podman'));
          assert.deepEqual(await compareTrees(payload, join(rootfs, 'data')), []);
        } finally {
          await podman.cleanup();
          await podman2.cleanup();
          await auth.stop();
        }
      },
    );

    it(
      'skopeo list-tags shows three tags, skopeo delete removes one',
      { timeout: TEST_TIMEOUT },
      async () => {
        const repo = 'clients/tags';
        const digests: Record<string, string> = { v1: base.digest };
        digests.v2 = await deriveImage(base.layout, 'v1', 'v2', 'two');
        digests.v3 = await deriveImage(base.layout, 'v1', 'v3', 'three');
        assert.equal(new Set(Object.values(digests)).size, 3);
        for (const tag of ['v1', 'v2', 'v3']) {
          await skopeoCopy(`oci:${base.layout}:${tag}`, dockerRef(server.host, repo, tag));
        }
        const repoRef = `docker://${server.host}/${repo}`;
        assert.deepEqual(await skopeoListTags(repoRef), ['v1', 'v2', 'v3'], withLog('tags after push'));

        await skopeoDelete(dockerRef(server.host, repo, 'v2'));

        assert.deepEqual(await skopeoListTags(repoRef), ['v1', 'v3'], withLog('tags after delete'));
        const gone = await skopeo([
          'inspect',
          '--tls-verify=false',
          '--raw',
          dockerRef(server.host, repo, 'v2'),
        ]);
        assert.notEqual(gone.code, 0);
        assert.match(gone.stderr, /manifest unknown|not found/i);
        const byDigest = await fetch(`${server.url}/v2/${repo}/manifests/${digests.v2}`, {
          headers: { accept: MANIFEST_ACCEPT },
        });
        assert.equal(byDigest.status, 404);
        assert.equal(((await byDigest.json()) as OciErrorBody).errors[0]?.code, 'MANIFEST_UNKNOWN');
        for (const tag of ['v1', 'v3']) {
          assert.equal(await skopeoInspectDigest(dockerRef(server.host, repo, tag)), digests[tag]);
        }
      },
    );
  });
}
