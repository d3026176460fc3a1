/**
 * A registry:2-on-S3 `.env` as published for self-hosting on S3-compatible storage (Tigris), used
 * as is: Arca is started with no configuration file, only those variables, with the endpoint, the
 * bucket and the keys pointed at the test's Ceph RGW (TLS, its CA through NODE_EXTRA_CA_CERTS).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ARCA_MAIN, REPO_ROOT, startArca, type RunningArca } from '../helpers/arca.js';
import { bucketName, sharedCephRgw, stopSharedCephRgw, type CephRgw } from '../helpers/ceph-rgw.js';
import { exec } from '../helpers/exec.js';
import { writeHtpasswd, type Credentials } from '../helpers/htpasswd.js';
import { buildImage, type BuiltImage } from '../helpers/images.js';
import { freePort } from '../helpers/ports.js';
import { serverEnv } from '../helpers/server.js';
import { dockerRef, skopeo, skopeoCopy, skopeoInspectDigest } from '../helpers/skopeo.js';
import { makeTempDir } from '../helpers/tmp.js';

/** The `.env` of the guide, verbatim: three settings to change, the rest "Don't change". */
const REFERENCE_ENV = `# Change these settings
REGISTRY_STORAGE_S3_BUCKET=bucketName
REGISTRY_STORAGE_S3_ACCESSKEY=tid_accessKey
REGISTRY_STORAGE_S3_SECRETKEY=tsec_secretAccessKey

# Don't change these settings
REGISTRY_STORAGE=s3
REGISTRY_STORAGE_S3_REGION=auto
REGISTRY_STORAGE_S3_REGIONENDPOINT=https://t3.storage.dev
REGISTRY_STORAGE_S3_FORCEPATHSTYLE=false
REGISTRY_STORAGE_S3_ENCRYPT=false
REGISTRY_STORAGE_S3_SECURE=true
REGISTRY_STORAGE_S3_V4AUTH=true
REGISTRY_STORAGE_S3_CHUNKSIZE=5242880
REGISTRY_STORAGE_S3_ROOTDIRECTORY=/
`;

/** `KEY=VALUE` lines as `fly secrets import` (or `docker run --env-file`) reads them. */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    env[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return env;
}

const creds: Credentials = { user: 'admin', pass: 'reference-env-password' };

let gw: CephRgw;
const work = makeTempDir('s3-reference-env-');

before(async () => {
  gw = await sharedCephRgw();
});

after(async () => {
  await work.cleanup();
  await stopSharedCephRgw();
});

/**
 * The guide's variables with only the endpoint, the bucket and the keys changed, plus what its
 * other steps add: `REGISTRY_HTTP_SECRET` and, from "Securing the registry", htpasswd auth.
 */
async function referenceEnv(bucket: string, change: Record<string, string> = {}) {
  const htpasswd = await writeHtpasswd(join(work.path, `htpasswd-${bucket}`), creds);
  return {
    ...parseEnvFile(REFERENCE_ENV),
    REGISTRY_STORAGE_S3_BUCKET: bucket,
    REGISTRY_STORAGE_S3_ACCESSKEY: gw.accessKey,
    REGISTRY_STORAGE_S3_SECRETKEY: gw.secretKey,
    REGISTRY_STORAGE_S3_REGIONENDPOINT: gw.endpoint,
    REGISTRY_HTTP_SECRET: randomUUID(),
    REGISTRY_AUTH: 'htpasswd',
    REGISTRY_AUTH_HTPASSWD_REALM: 'basic-realm',
    REGISTRY_AUTH_HTPASSWD_PATH: htpasswd,
    ...gw.serverEnv(),
    ...change,
  };
}

/** `arca serve` with the environment alone, expected to refuse to start. */
async function startFails(env: Record<string, string>) {
  const dataDir = makeTempDir('s3-reference-env-fail-');
  try {
    const result = await exec(process.execPath, [ARCA_MAIN, 'serve'], {
      cwd: REPO_ROOT,
      cleanEnv: true,
      env: serverEnv({
        ...env,
        REGISTRY_HTTP_ADDR: `127.0.0.1:${await freePort()}`,
        ARCA_DATADIR: dataDir.path,
      }),
      timeoutMs: 60_000,
    });
    return result;
  } finally {
    await dataDir.cleanup();
  }
}

describe('the reference registry:2 S3 .env', () => {
  let image: BuiltImage;
  let arca: RunningArca | undefined;
  let bucket: string;

  before(async () => {
    image = await buildImage(join(work.path, 'layout'), 'v1', { layers: 2, seed: 'reference-env' });
  });

  after(async () => {
    await arca?.stop();
  });

  test('configures Arca as is: push and pull with skopeo over the bucket', async () => {
    bucket = bucketName('reference');
    await gw.createBucket(bucket);
    arca = await startArca({ envOnly: true, env: await referenceEnv(bucket) });

    const ref = dockerRef(arca.host, 'models/smollm/135m', 'q4');
    await skopeoCopy(image.ref, ref, { destCreds: creds });
    assert.equal(await skopeoInspectDigest(ref, { creds }), image.digest);
    const pulled = join(work.path, 'pulled');
    await skopeoCopy(ref, `oci:${pulled}:q4`, { srcCreds: creds });
    assert.equal(
      await skopeoInspectDigest(`oci:${pulled}:q4`),
      image.digest,
      'pulled what was pushed, bit for bit',
    );
    // Anonymous pulls are refused once auth is on.
    const anonymous = await skopeo(['inspect', '--tls-verify=false', '--no-creds', ref], { check: false });
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /unauthorized|authentication required/i);

    // The bytes are in the bucket, under registry:2's layout from the root (ROOTDIRECTORY=/).
    const keys = [...(await gw.objects(bucket)).keys()];
    assert.ok(
      keys.some((k) => k.startsWith('blobs/sha256/')),
      keys.join('\n'),
    );
    assert.ok(!keys.some((k) => k.startsWith('/')), 'no key starts with the root directory');
    assert.equal((await fetch(`${arca.url}/readyz`)).status, 200);
  });

  test('the bucket disappearing after start: /readyz answers 503 and names the storage', async () => {
    assert.ok(arca, 'the server of the first test');
    await gw.deleteBucket(bucket);
    const res = await fetch(`${arca.url}/readyz`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { status: string; error?: string }>;
    };
    assert.equal(body.checks.database?.status, 'ok');
    assert.equal(body.checks.storage?.status, 'error');
    assert.match(body.checks.storage?.error ?? '', new RegExp(`bucket "${bucket}" does not exist`));
    assert.equal((await fetch(`${arca.url}/healthz`)).status, 200, 'still alive');
  });

  test('wrong credentials and a missing bucket stop start-up with a message naming the problem', async () => {
    const existing = bucketName('reference');
    await gw.createBucket(existing);
    const wrongSecret = await startFails(
      await referenceEnv(existing, { REGISTRY_STORAGE_S3_SECRETKEY: 'not-the-secret' }),
    );
    assert.equal(wrongSecret.code, 1, wrongSecret.stderr);
    assert.match(
      wrongSecret.stderr,
      /storage \(s3\) is not usable: credentials refused .*SignatureDoesNotMatch/,
    );
    assert.match(wrongSecret.stderr, /check accesskey and secretkey/);

    const wrongKey = await startFails(
      await referenceEnv(existing, { REGISTRY_STORAGE_S3_ACCESSKEY: 'NOSUCHKEY' }),
    );
    assert.equal(wrongKey.code, 1, wrongKey.stderr);
    assert.match(wrongKey.stderr, /credentials refused .*InvalidAccessKeyId/);

    const missing = bucketName('missing');
    const noBucket = await startFails(await referenceEnv(missing));
    assert.equal(noBucket.code, 1, noBucket.stderr);
    assert.match(noBucket.stderr, new RegExp(`bucket "${missing}" does not exist at ${gw.endpoint}`));
    await gw.deleteBucket(existing);
  });
});
