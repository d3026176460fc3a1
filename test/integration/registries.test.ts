import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiCall } from '../helpers/api-client.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import type { Credentials } from '../helpers/htpasswd.js';
import { pushBlob, putManifest } from '../helpers/oci-push.js';
import type { ExecResult } from '../helpers/exec.js';
import { buildImage, sha256, type BuiltImage } from '../helpers/images.js';
import { dockerRef, skopeoCopy, skopeoInspectDigest } from '../helpers/skopeo.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import { DeleteBucketCorsCommand, GetBucketCorsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { arcaCli } from '../helpers/arca-cli.js';
import { eventually } from '../helpers/wait-for.js';

const adminPassword = 'registries-admin-1';
const admin: Credentials = { user: 'admin', pass: adminPassword };

/** Every blob file under a filesystem store's root. */
function blobsIn(root: string): string[] {
  const dir = join(root, 'blobs', 'sha256');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((prefix) => readdirSync(join(dir, prefix)));
}

describe('registries as resources: locations, namespaces, defaults, state', () => {
  let arca: RunningArca;
  let work: TempDir;
  let image: BuiltImage;
  const roots: Record<string, string> = {};
  const api = (method: string, path: string, body?: unknown, who: Credentials = admin) =>
    apiCall(arca.url, method, path, { auth: who, json: body });
  const cli = (args: string[], input?: string): Promise<ExecResult> =>
    arcaCli({ server: arca.url, username: admin.user, password: admin.pass, configHome: work.path }, args, {
      input,
    });

  before(async () => {
    work = makeTempDir('arca-registries-');
    for (const name of ['eastus', 'westus']) roots[name] = join(work.path, name);
    const notADirectory = join(work.path, 'a-file');
    writeFileSync(notADirectory, 'not a directory');
    image = await buildImage(join(work.path, 'layout'), 'v1', {
      layers: 2,
      seed: 'registries',
      sizes: [3000, 5000],
    });
    arca = await startArca({
      auth: 'arca',
      env: { ARCA_ADMIN_PASSWORD: adminPassword },
      config: {
        locations: {
          eastus: { storage: { filesystem: { rootdirectory: roots.eastus } } },
          westus: { storage: { filesystem: { rootdirectory: roots.westus } } },
          broken: { storage: { filesystem: { rootdirectory: join(notADirectory, 'storage') } } },
        },
      },
    });
    roots.default = join(arca.dataDir, 'storage');
  });
  after(async () => {
    await arca?.stop();
    await work?.cleanup();
  });

  test("the reference document's YAML creates a registry; its content lands in its primary location and is copied to its additional one", async () => {
    const file = join(work.path, 'registry.yml');
    writeFileSync(
      file,
      [
        'type: registry',
        'description: Platform to share machine learning models, components and environments',
        'name: HelloWorldReg',
        'resource_group: ContosoML',
        'primary_location: eastus',
        'locations:',
        ' - westus',
        '',
      ].join('\n'),
    );
    const created = await cli(['registry', 'create', '--file', file, '-o', 'json']);
    assert.equal(created.code, 0, created.stderr);
    const view = JSON.parse(created.stdout) as Record<string, unknown>;
    assert.equal(view.name, 'HelloWorldReg');
    assert.equal(view.path, 'helloworldreg');
    assert.equal(view.primary_location, 'eastus');
    assert.deepEqual(view.locations, ['westus']);
    assert.equal(view.state, 'Active');

    const before = blobsIn(roots.default!).length;
    await skopeoCopy(image.ref, dockerRef(arca.host, 'helloworldreg/models/llm', 'v1'), { destCreds: admin });
    assert.equal(
      await skopeoInspectDigest(dockerRef(arca.host, 'helloworldreg/models/llm', 'v1'), { creds: admin }),
      image.digest,
    );
    const east = blobsIn(roots.eastus!);
    assert.ok(east.length >= 3, `eastus holds ${east.length} blobs`);
    // Its additional location gets a copy of every blob (replication, docs/REPLICATION.md).
    await eventually(
      () => blobsIn(roots.westus!).length === east.length,
      'westus holds copies of every blob',
      {
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
    assert.equal(blobsIn(roots.default!).length, before, 'nothing went to the default storage');

    // The default registry keeps working beside it, in its own storage.
    await skopeoCopy(image.ref, dockerRef(arca.host, 'plain/app', 'v1'), { destCreds: admin });
    assert.ok(blobsIn(roots.default!).length > before);

    const table = await cli(['registry', 'list']);
    assert.match(table.stdout, /^STATE\s+NAME\s+ENDPOINT\s+BUCKET\s+DEFAULT/);
    assert.match(table.stdout, /Active\s+HelloWorldReg/);
  });

  test("Azure's current spelling (location, replication_locations) is accepted too", async () => {
    const file = join(work.path, 'azure.yml');
    writeFileSync(
      file,
      'name: westreg\nlocation: westus\nreplication_locations:\n  - location: westus\n  - location: eastus\n',
    );
    const created = await cli(['registry', 'create', '--file', file, '-o', 'json']);
    assert.equal(created.code, 0, created.stderr);
    const view = JSON.parse(created.stdout) as { primary_location: string; locations: string[] };
    assert.equal(view.primary_location, 'westus');
    assert.deepEqual(view.locations, ['eastus']);
  });

  test('naming rules: what a user sees for each bad name', async () => {
    const cases: [string, number, RegExp][] = [
      ['a', 400, /2-32 letters/],
      ['-dash', 400, /starting with a letter or digit/],
      ['ends_', 400, /must end with a letter or digit/],
      ['x'.repeat(33), 400, /2-32 letters/],
      ['default', 400, /reserved/],
      [
        'HELLOWORLDREG',
        409,
        /a registry named 'HelloWorldReg' exists \(names are unique regardless of case\)/,
      ],
      ['plain', 409, /already the first path segment of repositories in the default registry \(plain\/app\)/],
    ];
    for (const [name, status, message] of cases) {
      const answer = await api('POST', '/api/v1/registries', { name });
      assert.equal(answer.status, status, `${name}: ${JSON.stringify(answer.body)}`);
      assert.match(String(answer.body.detail), message, name);
    }
    const unknownLocation = await api('POST', '/api/v1/registries', {
      name: 'nowhere',
      primary_location: 'mars',
    });
    assert.equal(unknownLocation.status, 400);
    assert.match(
      String(unknownLocation.body.detail),
      /no location named 'mars'.*known: default, eastus, westus, broken/,
    );
    const unknownKey = await api('POST', '/api/v1/registries', { name: 'typo', primary_locaton: 'eastus' });
    assert.equal(unknownKey.status, 400);
    assert.match(String(unknownKey.body.detail), /unknown key\(s\) primary_locaton/);
    const malformed = await apiCall(arca.url, 'POST', '/api/v1/registries', {
      auth: admin,
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    assert.equal(malformed.status, 400);
    const plainHttp = await api('POST', '/api/v1/registries', {
      name: 'insecure',
      backend: { s3: { endpoint: 'http://127.0.0.1:9000', bucket: 'models', credential: 'x' } },
    });
    assert.equal(plainHttp.status, 400);
    assert.match(String(plainHttp.body.detail), /only HTTPS endpoints are supported/);
    const names = ((await api('GET', '/api/v1/registries')).body.items as { name: string }[]).map(
      (r) => r.name,
    );
    assert.deepEqual(names.sort(), ['HelloWorldReg', 'westreg']);
  });

  test('one default per namespace, switched atomically', async () => {
    assert.equal(
      (await cli(['registry', 'create', 'second', '--default', '--primary-location', 'eastus'])).code,
      0,
    );
    assert.equal(
      (await cli(['registry', 'create', 'research-reg', '--namespace', 'research', '--default'])).code,
      0,
    );
    const defaults = async () =>
      (
        (await api('GET', '/api/v1/registries')).body.items as {
          name: string;
          namespace: string;
          default: boolean;
        }[]
      )
        .filter((r) => r.default)
        .map((r) => `${r.namespace}/${r.name}`)
        .sort();
    assert.deepEqual(await defaults(), ['default/second', 'research/research-reg']);
    const switched = await cli(['registry', 'set-default', 'helloworldreg']);
    assert.equal(switched.code, 0, switched.stderr);
    assert.match(switched.stdout, /HelloWorldReg is now the default registry of namespace default/);
    assert.deepEqual(await defaults(), ['default/HelloWorldReg', 'research/research-reg']);
    const missing = await cli(['registry', 'set-default', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no registry named 'nope' \(HTTP 404\)/);
  });

  test('a location that does not work shows Error with the reason', async () => {
    const created = await api('POST', '/api/v1/registries', { name: 'fragile', primary_location: 'broken' });
    assert.equal(created.status, 201);
    assert.equal(created.body.state, 'Error');
    assert.match(String(created.body.state_reason), /^location broken: .*(ENOTDIR|not a directory)/);
    const push = await skopeoCopy(image.ref, dockerRef(arca.host, 'fragile/app', 'v1'), {
      destCreds: admin,
      check: false,
    });
    assert.notEqual(push.code, 0);
    const probe = await cli(['registry', 'probe', 'fragile']);
    assert.equal(probe.code, 3);
    assert.match(probe.stdout, /^Error: location broken/);
  });

  test('deleting a registry with content is refused unless forced; forced, its content goes', async () => {
    const refused = await cli(['registry', 'delete', 'HelloWorldReg']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /holds 1 repositories \(helloworldreg\/models\/llm\): delete them first, or delete the registry with force \(HTTP 409\)/,
    );
    const still = await api('GET', '/v2/helloworldreg/models/llm/manifests/v1');
    assert.equal(still.status, 200);
    const forced = await cli(['registry', 'delete', 'HelloWorldReg', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /deleted registry HelloWorldReg \(1 repositories\)/);
    assert.equal((await api('GET', '/api/v1/registries/helloworldreg')).status, 404);
    // The path now belongs to the default registry again, where nothing is.
    assert.equal((await api('GET', '/v2/helloworldreg/models/llm/manifests/v1')).status, 404);
    const catalog = (await api('GET', '/v2/_catalog')).body.repositories as string[];
    assert.ok(!catalog.includes('helloworldreg/models/llm'));
    assert.equal((await cli(['registry', 'delete', 'westreg'])).code, 0);
  });

  test("the catalog lists Arca's registries and follows their changes", async () => {
    const list = async () =>
      (
        (await api('POST', '/container_registries', {})).body.data as {
          container_registry_name: string;
          container_registry_image_prefix: string;
          container_registry_storage_info: { registry_type: string };
        }[]
      ).filter((e) => e.container_registry_storage_info.registry_type === 'aios');
    const entries = await list();
    const second = entries.find((e) => e.container_registry_name === 'second');
    assert.ok(second, JSON.stringify(entries));
    assert.equal(second.container_registry_image_prefix, `${arca.host}/second`);
    assert.ok(!entries.some((e) => e.container_registry_name === 'HelloWorldReg'));
  });

  test('registry management by role: Reader reads, a registry-scoped Contributor manages only its registry', async () => {
    for (const name of ['rita', 'carl', 'pia']) {
      assert.equal(
        (await api('POST', '/api/v1/users', { name, password: `${name}-password-1` })).status,
        201,
      );
    }
    const assign = (role: string, name: string, scope = '/') =>
      api('POST', '/api/v1/role-assignments', { role, principal: { kind: 'user', name }, scope });
    await assign('Reader', 'rita');
    await assign('Contributor', 'carl', '/registries/second');
    await assign('AssetPublisher', 'pia', '/registries/second');
    const rita = { user: 'rita', pass: 'rita-password-1' };
    const carl = { user: 'carl', pass: 'carl-password-1' };
    const pia = { user: 'pia', pass: 'pia-password-1' };
    assert.equal((await api('GET', '/api/v1/registries', undefined, rita)).status, 200);
    assert.equal((await api('POST', '/api/v1/registries', { name: 'ritas' }, rita)).status, 403);
    assert.equal((await api('PATCH', '/api/v1/registries/second', { description: 'x' }, rita)).status, 403);
    const carlList = (await api('GET', '/api/v1/registries', undefined, carl)).body.items as {
      name: string;
    }[];
    assert.deepEqual(
      carlList.map((r) => r.name),
      ['second'],
    );
    assert.equal(
      (await api('PATCH', '/api/v1/registries/second', { description: 'by carl' }, carl)).status,
      200,
    );
    assert.equal((await api('POST', '/api/v1/registries', { name: 'carls' }, carl)).status, 403);
    assert.equal((await api('DELETE', '/api/v1/registries/research-reg', undefined, carl)).status, 403);
    // Assets yes, registry management no.
    await skopeoCopy(image.ref, dockerRef(arca.host, 'second/app', 'v1'), { destCreds: pia });
    assert.equal(
      (await api('PATCH', '/api/v1/registries/second', { description: 'by pia' }, pia)).status,
      403,
    );
    const other = await skopeoCopy(image.ref, dockerRef(arca.host, 'plain/pia', 'v1'), {
      destCreds: pia,
      check: false,
    });
    assert.notEqual(other.code, 0);
  });

  test('a registry can allow anonymous pulls', async () => {
    const anonymous = () =>
      fetch(`${arca.url}/v2/second/app/manifests/v1`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
    assert.equal((await anonymous()).status, 401);
    assert.equal((await cli(['registry', 'update', 'second', '--anonymous-pull', 'yes'])).code, 0);
    assert.equal((await anonymous()).status, 200);
    const push = await fetch(`${arca.url}/v2/second/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(push.status, 401);
  });
});

describe('registries with their own S3 bucket (Ceph RGW over TLS, a DATA credential)', () => {
  let arca: RunningArca;
  let rgw: CephRgw;
  let work: TempDir;
  let image: BuiltImage;
  const api = (method: string, path: string, body?: unknown) =>
    apiCall(arca.url, method, path, { auth: admin, json: body });
  const keysIn = async (bucket: string) => {
    const listed = await rgw.client().send(new ListObjectsV2Command({ Bucket: bucket }));
    return (listed.Contents ?? []).map((o) => o.Key!);
  };
  const registryOn = (name: string, bucket: string, credential: string, endpoint = rgw.endpoint) =>
    api('POST', '/api/v1/registries', { name, backend: { s3: { endpoint, bucket, credential } } });

  before(async () => {
    work = makeTempDir('arca-registries-s3-');
    rgw = await sharedCephRgw();
    image = await buildImage(join(work.path, 'layout'), 'v1', {
      layers: 1,
      seed: 'registries-s3',
      sizes: [7000],
    });
    arca = await startArca({ auth: 'arca', env: { ARCA_ADMIN_PASSWORD: adminPassword, ...rgw.serverEnv() } });
    const set = (name: string, secret: string) =>
      api('PUT', `/api/v1/credentials/${name}`, {
        type: 'DATA',
        payload: { access_key_id: rgw.accessKey, access_key: secret, endpoint: rgw.endpoint },
      });
    assert.equal((await set('rgw', rgw.secretKey)).status, 201);
    assert.equal((await set('rgw-wrong', 'not-the-secret-key')).status, 201);
  });
  after(async () => {
    await arca?.stop();
    await stopSharedCephRgw();
    await work?.cleanup();
  });

  test('images and artifacts pushed to host/<registry>/… land in its bucket only; CORS is written and verified', async () => {
    const bucket = bucketName('models');
    await rgw.createBucket(bucket);
    const created = await registryOn('models', bucket, 'rgw');
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, 'Active', String(created.body.state_reason));
    assert.equal(created.body.bucket, bucket);
    assert.equal(created.body.endpoint, rgw.endpoint);

    const cors = await rgw.client().send(new GetBucketCorsCommand({ Bucket: bucket }));
    const origin = new URL(arca.url).origin;
    assert.ok(
      cors.CORSRules?.some((r) => r.AllowedOrigins?.includes(origin) && r.ExposeHeaders?.includes('ETag')),
    );
    // A browser's preflight, as the server's probe made it.
    const preflight = await apiCall(rgw.endpoint, 'OPTIONS', `/${bucket}/any`, {
      agent: rgw.httpsAgent(),
      headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' },
    });
    const allowOrigin = preflight.headers.get('access-control-allow-origin') ?? undefined;
    assert.equal(allowOrigin, origin);

    const before = blobsIn(join(arca.dataDir, 'storage')).length;
    await skopeoCopy(image.ref, dockerRef(arca.host, 'models/llm', 'v1'), { destCreds: admin });
    assert.equal(
      await skopeoInspectDigest(dockerRef(arca.host, 'models/llm', 'v1'), { creds: admin }),
      image.digest,
    );
    // An artifact: a blob and a manifest with an artifactType, by plain HTTP.
    const data = Buffer.from('weights of a tiny model');
    const digest = await pushBlob(arca.url, 'models/tiny', data, admin);
    const emptyDigest = await pushBlob(arca.url, 'models/tiny', Buffer.from('{}'), admin);
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.arca.model.v1',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: 2 },
      layers: [{ mediaType: 'application/octet-stream', digest, size: data.length }],
    };
    const put = await putManifest(arca.url, 'models/tiny', 'v1', Buffer.from(JSON.stringify(manifest)), {
      type: manifest.mediaType,
      auth: admin,
    });
    assert.equal(put.status, 201);
    const keys = await keysIn(bucket);
    assert.ok(
      keys.some((k) => k.endsWith(digest.slice('sha256:'.length))),
      keys.join('\n'),
    );
    assert.ok(keys.filter((k) => k.includes('blobs/sha256/')).length >= 4, keys.join('\n'));
    assert.equal(blobsIn(join(arca.dataDir, 'storage')).length, before, 'nothing in the default storage');
    // Blob reads redirect to a presigned URL of the bucket by default (registry:2's behaviour).
    const pulled = await api('GET', `/v2/models/tiny/blobs/${digest}`);
    assert.equal(pulled.status, 307);
    const location = new URL(pulled.headers.get('location')!);
    assert.equal(location.origin, rgw.endpoint);
    assert.match(location.search, /X-Amz-Signature=/);
  });

  test('missing CORS rules, refused credentials and an unreachable endpoint each show Error with the reason', async () => {
    const bucket = bucketName('cors');
    await rgw.createBucket(bucket);
    assert.equal((await registryOn('corsreg', bucket, 'rgw')).body.state, 'Active');
    await rgw.client().send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    const probed = await api('POST', '/api/v1/registries/corsreg/probe');
    assert.equal(probed.body.state, 'Error');
    assert.match(
      String(probed.body.state_reason),
      /CORS rules missing: the bucket does not allow browser uploads from http:\/\/127\.0\.0\.1:\d+/,
    );

    const wrong = await registryOn('wrongkeys', bucketName('never'), 'rgw-wrong');
    assert.equal(wrong.status, 201);
    assert.equal(wrong.body.state, 'Error');
    assert.match(String(wrong.body.state_reason), /credentials refused/);

    const nowhere = await registryOn('nowhere', bucket, 'rgw', 'https://127.0.0.1:1');
    assert.equal(nowhere.body.state, 'Error');
    assert.match(String(nowhere.body.state_reason), /unreachable|ECONNREFUSED/);

    const noBucket = await registryOn('nobucket', bucketName('missing'), 'rgw');
    assert.equal(noBucket.body.state, 'Error');
    assert.match(String(noBucket.body.state_reason), /does not exist/);

    const noCredential = await registryOn('nocred', bucket, 'no-such-credential');
    assert.equal(noCredential.status, 400);
    assert.match(String(noCredential.body.detail), /no credential 'no-such-credential' in namespace default/);
    const push = await skopeoCopy(image.ref, dockerRef(arca.host, 'wrongkeys/app', 'v1'), {
      destCreds: admin,
      check: false,
    });
    assert.notEqual(push.code, 0);
  });

  test('browser uploads go straight to the bucket through a presigned URL, verified on completion', async () => {
    const bucket = bucketName('browser');
    await rgw.createBucket(bucket);
    assert.equal((await registryOn('browser', bucket, 'rgw')).body.state, 'Active');
    const origin = new URL(arca.url).origin;
    const putFromBrowser = async (url: string, data: Buffer) => {
      const answer = await apiCall(url, 'PUT', url, {
        agent: rgw.httpsAgent(),
        headers: { Origin: origin },
        body: data,
      });
      return {
        status: answer.status,
        allowOrigin: answer.headers.get('access-control-allow-origin') ?? undefined,
      };
    };
    const data = Buffer.from('a dataset shard, uploaded by a browser');
    const digest = sha256(data);

    const first = await api('POST', '/api/v1/registries/browser/browser-uploads', {
      repository: 'datasets/train',
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(new URL(first.body.url as string).origin, rgw.endpoint);
    const sent = await putFromBrowser(first.body.url as string, data);
    assert.equal(sent.status, 200);
    assert.equal(sent.allowOrigin, origin);
    const wrongDigest = `sha256:${'0'.repeat(64)}`;
    const refused = await api(
      'POST',
      `/api/v1/registries/browser/browser-uploads/${first.body.id}/complete`,
      {
        repository: 'datasets/train',
        digest: wrongDigest,
      },
    );
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 'DIGEST_INVALID');
    const again = await api('POST', `/api/v1/registries/browser/browser-uploads/${first.body.id}/complete`, {
      repository: 'datasets/train',
      digest,
    });
    assert.equal(again.status, 404, 'a refused upload is discarded');
    assert.equal((await api('HEAD', `/v2/browser/datasets/train/blobs/${wrongDigest}`)).status, 404);

    const second = await api('POST', '/api/v1/registries/browser/browser-uploads', {
      repository: 'datasets/train',
    });
    assert.equal((await putFromBrowser(second.body.url as string, data)).status, 200);
    const done = await api('POST', `/api/v1/registries/browser/browser-uploads/${second.body.id}/complete`, {
      repository: 'datasets/train',
      digest,
    });
    assert.equal(done.status, 201, JSON.stringify(done.body));
    const head = await api('HEAD', `/v2/browser/datasets/train/blobs/${digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(data.length));
    const download = await api('GET', `/v2/browser/datasets/train/blobs/${digest}`);
    assert.equal(download.status, 307);
    assert.ok(
      !(await keysIn(bucket)).some((k) => k.includes('browser-uploads/')),
      'staging objects are gone',
    );

    const notHere = await api('POST', '/api/v1/registries/browser/browser-uploads', {
      repository: '../escape',
    });
    assert.equal(notHere.status, 400);
  });

  test('credential test of a DATA credential lists the bucket, or the buckets', async () => {
    const bucket = bucketName('listed');
    await rgw.createBucket(bucket);
    const test = async (name: string, query = '') =>
      (await api('POST', `/api/v1/credentials/${name}/test${query}`)).body as {
        ok: boolean;
        message: string;
      };
    const listed = await test('rgw', `?bucket=${bucket}`);
    assert.equal(listed.ok, true, listed.message);
    const all = await test('rgw');
    assert.equal(all.ok, true, all.message);
    assert.match(all.message, /\d+ buckets listed/);
    const refused = await test('rgw-wrong', `?bucket=${bucket}`);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /credentials refused/);
    const missing = await test('rgw', `?bucket=${bucketName('absent')}`);
    assert.equal(missing.ok, false);
    assert.match(missing.message, /does not exist/);
  });

  test('a forced delete removes the content from the bucket', async () => {
    const bucket = bucketName('gone');
    await rgw.createBucket(bucket);
    assert.equal((await registryOn('gone', bucket, 'rgw')).status, 201);
    await skopeoCopy(image.ref, dockerRef(arca.host, 'gone/app', 'v1'), { destCreds: admin });
    assert.ok((await keysIn(bucket)).some((k) => k.includes('blobs/sha256/')));
    assert.equal((await api('DELETE', '/api/v1/registries/gone')).status, 409);
    const deleted = await api('DELETE', '/api/v1/registries/gone?force=true');
    assert.equal(deleted.status, 200);
    assert.deepEqual(
      (await keysIn(bucket)).filter((k) => k.includes('blobs/sha256/')),
      [],
    );
  });
});
