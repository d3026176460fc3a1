import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  loadConfig,
  loadConfigWithWarnings,
  parseDuration,
  parseListenAddress,
} from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'arca-config-'));
function file(text: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(path, text);
  return path;
}
function fails(opts: Parameters<typeof loadConfig>[0], message: RegExp): void {
  assert.throws(
    () => loadConfig(opts),
    (err: unknown) => err instanceof ConfigError && message.test(err.message),
  );
}

test('no file and no environment: registry:2 defaults plus SQLite under ./data', () => {
  const c = loadConfig({});
  assert.equal(c.http.addr, ':5000');
  assert.equal(c.storage.driver, 'filesystem');
  assert.equal(c.storage.filesystem.rootdirectory, 'data/storage');
  assert.equal(c.database.url, 'sqlite:data/arca.db');
  assert.deepEqual(c.auth, { kind: 'none' });
  assert.equal(c.storage.delete.enabled, false);
  assert.equal(c.storage.maintenance.uploadpurging.age, 168 * 3600_000);
  assert.equal(c.limits.manifestsize, 4 * 1024 * 1024);
});

test("the reference deployment's S3 .env selects the s3 driver key for key", () => {
  const c = loadConfig({
    env: {
      REGISTRY_STORAGE_S3_BUCKET: 'bucketName',
      REGISTRY_STORAGE_S3_ACCESSKEY: 'tid_accessKey',
      REGISTRY_STORAGE_S3_SECRETKEY: 'tsec_secretAccessKey',
      REGISTRY_STORAGE: 's3',
      REGISTRY_STORAGE_S3_REGION: 'auto',
      REGISTRY_STORAGE_S3_REGIONENDPOINT: 'https://t3.storage.dev',
      REGISTRY_STORAGE_S3_FORCEPATHSTYLE: 'false',
      REGISTRY_STORAGE_S3_ENCRYPT: 'false',
      REGISTRY_STORAGE_S3_SECURE: 'true',
      REGISTRY_STORAGE_S3_V4AUTH: 'true',
      REGISTRY_STORAGE_S3_CHUNKSIZE: '5242880',
      REGISTRY_STORAGE_S3_ROOTDIRECTORY: '/',
    },
  });
  assert.equal(c.storage.driver, 's3');
  assert.equal(c.storage.s3?.bucket, 'bucketName');
  assert.equal(c.storage.s3?.chunksize, 5242880);
  assert.equal(c.storage.s3?.forcepathstyle, false);
  assert.equal(c.storage.s3?.secure, true);
  assert.equal(c.storage.s3?.rootdirectory, '/');
});

test('auth by environment: htpasswd and none; unsupported modes are refused', () => {
  const c = loadConfig({
    env: {
      REGISTRY_AUTH: 'htpasswd',
      REGISTRY_AUTH_HTPASSWD_REALM: 'basic-realm',
      REGISTRY_AUTH_HTPASSWD_PATH: '/p',
    },
  });
  assert.deepEqual(c.auth, { kind: 'htpasswd', realm: 'basic-realm', path: '/p' });
  const none = loadConfig({ file: file('auth: {htpasswd: {path: /p}}'), env: { REGISTRY_AUTH: 'none' } });
  assert.deepEqual(none.auth, { kind: 'none' });
  fails({ file: file('auth: {token: {realm: x}}') }, /auth\.token is not supported/);
  fails({ file: file('auth: {none: {}, htpasswd: {path: /p}}') }, /choose one auth mode/);
});

test('unknown keys are named, in the file and in the environment', () => {
  fails({ file: file('colour: blue') }, /unknown key 'colour'/);
  fails({ file: file('storage: {filesystem: {rootdir: /x}}') }, /unknown key 'storage\.filesystem\.rootdir'/);
  fails({ env: { REGISTRY_HTTP_LISTEN: ':1' } }, /REGISTRY_HTTP_LISTEN: unknown key 'http\.listen'/);
  assert.doesNotThrow(() =>
    loadConfig({ env: { REGISTRY_AUTH_FILE: '/x', ARCA_SERVER: 'http://x', ARCA_TEST_FOO: '1' } }),
  );
});

test('wrong types and values name their key', () => {
  fails({ file: file('http: {addr: localhost}') }, /http\.addr/);
  fails({ file: file('log: {level: loud}') }, /log\.level/);
  fails({ file: file('limits: {manifestsize: big}') }, /limits\.manifestsize/);
  fails({ env: { ARCA_LIMITS_MANIFESTSIZE: '12' } }, /ARCA_LIMITS_MANIFESTSIZE/);
  fails({ file: file('storage: {maintenance: {uploadpurging: {age: soon}}}') }, /uploadpurging\.age/);
  fails({ file: file('storage: {filesystem: {}, s3: {bucket: b}}') }, /choose one storage driver/);
  fails({ file: file('- a list') }, /mapping/);
  fails({ file: file('http: {prefix: /registry/}') }, /http\.prefix: only '\/' is supported/);
  fails({ file: join(dir, 'missing.yml') }, /cannot read/);
});

test('a typical registry:2 config.yml loads, with warnings for sections Arca ignores', () => {
  const { config, warnings } = loadConfigWithWarnings({
    file: file(`version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`),
  });
  assert.equal(config.storage.filesystem.rootdirectory, '/var/lib/registry');
  assert.deepEqual(config.http.headers, { 'X-Content-Type-Options': ['nosniff'] });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /health/);
});

test('Arca keys take ARCA_* overrides', () => {
  const c = loadConfig({ env: { ARCA_DATABASE_URL: 'postgres://u@h/db', ARCA_DATADIR: '/srv/arca' } });
  assert.equal(c.database.url, 'postgres://u@h/db');
  assert.equal(c.storage.filesystem.rootdirectory, '/srv/arca/storage');
});

test('durations and listen addresses', () => {
  assert.equal(parseDuration('300ms'), 300);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('168h'), 604_800_000);
  assert.equal(parseDuration(10_000_000_000), 10_000);
  assert.throws(() => parseDuration('10 parsecs'));
  assert.deepEqual(parseListenAddress(':5000'), { host: '0.0.0.0', port: 5000 });
  assert.deepEqual(parseListenAddress('[::1]:80'), { host: '::1', port: 80 });
  assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.throws(() => parseListenAddress('127.0.0.1:99999'));
});
