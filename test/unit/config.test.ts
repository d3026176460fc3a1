import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  configCommand,
  configJsonSchema,
  loadConfig,
  loadConfigWithWarnings,
  parseDuration,
  parseListenAddress,
  type ConfigSource,
} from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'arca-config-'));
let files = 0;
function file(text: string): string {
  const path = join(dir, `${++files}.yml`);
  writeFileSync(path, text);
  return path;
}
function fails(source: ConfigSource, message: RegExp): void {
  assert.throws(
    () => loadConfig(source),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
      assert.match(err.message, message);
      return true;
    },
  );
}

/** The .env of the reference deployment (registry:2 on Tigris), as written there. */
const referenceS3Env = {
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
};

test('no file and no environment: registry:2 defaults plus SQLite under ./data', () => {
  const { config: c, warnings } = loadConfigWithWarnings({});
  assert.deepEqual(warnings, []);
  assert.equal(c.version, '0.1');
  assert.deepEqual(
    { level: c.log.level, formatter: c.log.formatter, accesslog: c.log.accesslog },
    { level: 'info', formatter: 'json', accesslog: { disabled: false } },
  );
  assert.equal(c.http.addr, ':5000');
  assert.equal(c.http.prefix, '/');
  assert.equal(c.http.draintimeout, 30_000);
  assert.equal(c.http.relativeurls, false);
  assert.equal(c.http.host, undefined);
  assert.equal(c.storage.driver, 'filesystem');
  assert.equal(c.storage.filesystem.rootdirectory, join('data', 'storage'));
  assert.equal(c.storage.s3, undefined);
  assert.equal(c.storage.delete.enabled, false);
  assert.equal(c.storage.redirect.disable, false);
  assert.deepEqual(c.storage.maintenance, {
    uploadpurging: { enabled: true, age: 168 * 3_600_000, interval: 24 * 3_600_000, dryrun: false },
    readonly: { enabled: false },
  });
  // No auth section: Arca's own accounts and token service, secure by default.
  assert.deepEqual(c.auth, { kind: 'arca' });
  assert.equal(c.access.token.expiration, 5 * 60_000);
  assert.deepEqual(c.access.anonymouspull, []);
  assert.equal(c.database.url, `sqlite:${join('data', 'arca.db')}`);
  assert.equal(c.datadir, './data');
  assert.equal(c.limits.manifestsize, 4 * 1024 * 1024);
});

test("the reference deployment's S3 .env selects the s3 driver, key for key", () => {
  const c = loadConfig({ env: { ...referenceS3Env, REGISTRY_HTTP_SECRET: 'c0ffee' } });
  assert.equal(c.storage.driver, 's3');
  assert.deepEqual(c.storage.s3, {
    bucket: 'bucketName',
    accesskey: 'tid_accessKey',
    secretkey: 'tsec_secretAccessKey',
    region: 'auto',
    regionendpoint: 'https://t3.storage.dev',
    forcepathstyle: false,
    encrypt: false,
    secure: true,
    skipverify: false,
    v4auth: true,
    chunksize: 5_242_880,
    multipartcopychunksize: 32 * 1024 * 1024,
    multipartcopythresholdsize: 32 * 1024 * 1024,
    multipartcopymaxconcurrency: 100,
    rootdirectory: '/',
    storageclass: 'STANDARD',
  });
  assert.equal(c.http.secret, 'c0ffee');
});

test('REGISTRY_STORAGE=s3 replaces a filesystem section but keeps delete, redirect, maintenance, cache', () => {
  const yml = file(`storage:
  filesystem: {rootdirectory: /var/lib/registry}
  delete: {enabled: true}
  redirect: {disable: true}
  maintenance: {readonly: {enabled: true}}
  cache: {blobdescriptor: inmemory}
`);
  const c = loadConfig({ file: yml, env: { REGISTRY_STORAGE: 's3', REGISTRY_STORAGE_S3_BUCKET: 'b' } });
  assert.equal(c.storage.driver, 's3');
  assert.equal(c.storage.s3?.bucket, 'b');
  assert.equal(c.storage.delete.enabled, true);
  assert.equal(c.storage.redirect.disable, true);
  assert.equal(c.storage.maintenance.readonly.enabled, true);
  assert.deepEqual(c.storage.cache, { blobdescriptor: 'inmemory' });
  fails({ env: { REGISTRY_STORAGE: 's3' } }, /^config: storage\.s3\.bucket: required$/);
  fails(
    { env: { REGISTRY_STORAGE: 'inmemory' } },
    /REGISTRY_STORAGE \(storage\.inmemory\): storage driver 'inmemory' is not supported/,
  );
  fails(
    { file: file('storage: {inmemory: }') },
    /storage\.inmemory: storage driver 'inmemory' is not supported/,
  );
  fails({ file: file('storage: {gcs: {bucket: b}}') }, /storage driver 'gcs' is not supported/);
});

test('auth by environment: htpasswd, token and none; unsupported or several modes are refused', () => {
  const c = loadConfig({
    env: {
      REGISTRY_AUTH: 'htpasswd',
      REGISTRY_AUTH_HTPASSWD_REALM: 'basic-realm',
      REGISTRY_AUTH_HTPASSWD_PATH: '/data/htpasswd',
    },
  });
  assert.deepEqual(c.auth, { kind: 'htpasswd', realm: 'basic-realm', path: '/data/htpasswd' });
  assert.deepEqual(loadConfig({ env: { REGISTRY_AUTH: 'none' } }).auth, { kind: 'none' });
  const overFile = loadConfig({ file: file('auth: {htpasswd: {path: /p}}'), env: { REGISTRY_AUTH: 'none' } });
  assert.deepEqual(overFile.auth, { kind: 'none' });
  assert.deepEqual(loadConfig({ file: file('auth:\n  none:\n') }).auth, { kind: 'none' });
  assert.deepEqual(loadConfig({ file: file('auth: {htpasswd: {path: /p}}') }).auth, {
    kind: 'htpasswd',
    realm: 'basic-realm',
    path: '/p',
  });
  fails({ file: file('auth: {htpasswd: }') }, /auth\.htpasswd\.path: required/);
  const token = loadConfig({
    env: {
      REGISTRY_AUTH: 'token',
      REGISTRY_AUTH_TOKEN_REALM: 'https://auth.example.com/token',
      REGISTRY_AUTH_TOKEN_SERVICE: 'registry',
      REGISTRY_AUTH_TOKEN_ISSUER: 'auth-server',
      REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE: '/certs/bundle.pem',
    },
  });
  assert.deepEqual(token.auth, {
    kind: 'token',
    realm: 'https://auth.example.com/token',
    service: 'registry',
    issuer: 'auth-server',
    rootcertbundle: '/certs/bundle.pem',
  });
  fails({ file: file('auth: {token: {realm: x}}') }, /auth\.token\.realm: /);
  fails(
    { file: file('auth: {token: {realm: "https://a/t", service: s, issuer: i}}') },
    /auth\.token: rootcertbundle or jwks is required/,
  );
  fails(
    { env: { REGISTRY_AUTH: 'silly' } },
    /REGISTRY_AUTH \(auth\.silly\): auth mode 'silly' is not supported/,
  );
  fails({ file: file('auth: {none: {}, htpasswd: {path: /p}}') }, /^config: auth: choose one auth mode/);
});

test('unknown keys are named, in the file and in the environment', () => {
  fails({ file: file('colour: blue') }, /^config: unknown key 'colour'$/);
  fails(
    { file: file('storage: {filesystem: {rootdir: /x}}') },
    /^config: unknown key 'storage\.filesystem\.rootdir'$/,
  );
  fails(
    { file: file('http: {tls: {certificate: c, key: k, minimumtls: tls1.2}}') },
    /unknown key 'http\.tls\.minimumtls'/,
  );
  fails(
    { env: { REGISTRY_HTTP_LISTEN: ':1' } },
    /^config: REGISTRY_HTTP_LISTEN: unknown key 'http\.listen'$/,
  );
  fails({ env: { REGISTRY_FOO_BAR: 'x' } }, /^config: REGISTRY_FOO_BAR: unknown key 'foo'$/);
  fails({ env: { ARCA_DATABASE_URI: 'x' } }, /^config: ARCA_DATABASE_URI: unknown key 'database\.uri'$/);
  fails({ env: { REGISTRY_HTTP__ADDR: ':1' } }, /REGISTRY_HTTP__ADDR: not a configuration path/);
});

test('variables that are not configuration paths are ignored', () => {
  const c = loadConfig({
    env: {
      REGISTRY_CONFIGURATION_PATH: '/etc/docker/registry/config.yml',
      REGISTRY_AUTH_FILE: '/run/containers/auth.json',
      ARCA_CONFIG: '/etc/arca.yml',
      ARCA_SERVER: 'http://localhost:5000',
      ARCA_USERNAME: 'admin',
      ARCA_PASSWORD: 'pw',
      ARCA_API_KEY: 'k',
      ARCA_ADMIN_PASSWORD: 'pw',
      ARCA_MASTER_KEY: 'mk',
      ARCA_TEST_POSTGRES_URL: 'postgres://x',
      // Kubernetes service links for services named registry, registry-auth and arca.
      REGISTRY_PORT: 'tcp://10.0.0.1:5000',
      REGISTRY_PORT_5000_TCP: 'tcp://10.0.0.1:5000',
      REGISTRY_PORT_5000_TCP_ADDR: '10.0.0.1',
      REGISTRY_PORT_5000_TCP_PORT: '5000',
      REGISTRY_PORT_5000_TCP_PROTO: 'tcp',
      REGISTRY_SERVICE_HOST: '10.0.0.1',
      REGISTRY_SERVICE_PORT: '5000',
      REGISTRY_SERVICE_PORT_HTTP: '5000',
      REGISTRY_AUTH_PORT: 'tcp://10.0.0.2:80',
      REGISTRY_AUTH_SERVICE_HOST: '10.0.0.2',
      ARCA_PORT: 'tcp://10.0.0.3:5000',
      // Empty is unset.
      REGISTRY_STORAGE_S3_ACCESSKEY: '',
      HOME: '/root',
    },
  });
  assert.deepEqual(c.auth, { kind: 'arca' });
  assert.equal(c.storage.driver, 'filesystem');
  // A bare _PORT without a Kubernetes value is still a (wrong) configuration path.
  fails({ env: { ARCA_HTTP_PORT: '8080' } }, /ARCA_HTTP_PORT: unknown key 'http\.port'/);
});

test('Arca keys take ARCA_* overrides; ARCA_* wins over REGISTRY_* on the same path', () => {
  const c = loadConfig({
    env: {
      ARCA_DATABASE_URL: 'postgres://u@h/db',
      ARCA_DATADIR: '/srv/arca',
      ARCA_LIMITS_MANIFESTSIZE: '1048576',
      REGISTRY_HTTP_ADDR: ':6000',
      ARCA_HTTP_ADDR: ':7000',
    },
  });
  assert.equal(c.database.url, 'postgres://u@h/db');
  assert.equal(c.datadir, '/srv/arca');
  assert.equal(c.storage.filesystem.rootdirectory, join('/srv/arca', 'storage'));
  assert.equal(c.limits.manifestsize, 1_048_576);
  assert.equal(c.http.addr, ':7000');
  assert.equal(loadConfig({ env: { ARCA_DATABASE_URL: 'sqlite::memory:' } }).database.url, 'sqlite::memory:');
  assert.equal(
    loadConfig({ env: { ARCA_DATABASE_URL: 'postgresql://h/db' } }).database.url,
    'postgresql://h/db',
  );
  assert.equal(loadConfig({ env: { ARCA_DATADIR: '/d' } }).database.url, `sqlite:${join('/d', 'arca.db')}`);
});

test('wrong types and values name their key, or the variable that set it', () => {
  fails({ file: file('http: {addr: localhost}') }, /^config: http\.addr: expected host:port/);
  fails({ file: file('http: {addr: "127.0.0.1:70000"}') }, /http\.addr/);
  fails({ file: file('log: {level: loud}') }, /^config: log\.level: /);
  fails({ file: file('log: {formatter: xml}') }, /^config: log\.formatter: /);
  fails({ file: file('limits: {manifestsize: big}') }, /^config: limits\.manifestsize: .*expected number/);
  fails(
    { env: { ARCA_LIMITS_MANIFESTSIZE: '12' } },
    /^config: ARCA_LIMITS_MANIFESTSIZE \(limits\.manifestsize\): /,
  );
  fails(
    { env: { REGISTRY_STORAGE_DELETE_ENABLED: 'maybe' } },
    /REGISTRY_STORAGE_DELETE_ENABLED \(storage\.delete\.enabled\)/,
  );
  fails(
    { file: file('storage: {maintenance: {uploadpurging: {age: soon}}}') },
    /storage\.maintenance\.uploadpurging\.age: invalid duration/,
  );
  fails(
    { file: file('storage: {filesystem: {}, s3: {bucket: b}}') },
    /^config: storage: choose one storage driver/,
  );
  fails({ file: file('storage: {s3: {bucket: b, chunksize: 1024}}') }, /storage\.s3\.chunksize/);
  fails(
    { file: file('database: {url: "mysql://h/db"}') },
    /^config: database\.url: expected 'sqlite:<path>'/,
  );
  fails({ file: file('http: {host: reg.example.com}') }, /^config: http\.host: /);
  fails({ file: file('http: {prefix: /registry/}') }, /^config: http\.prefix: only '\/' is supported/);
  fails({ file: file('http: {headers: {X-Frame-Options: DENY}}') }, /http\.headers\.X-Frame-Options/);
  fails({ file: file('- a list') }, /must be a YAML mapping/);
  fails({ file: file('http: {addr: [}') }, /is not valid YAML/);
  fails({ file: join(dir, 'missing.yml') }, /cannot read/);
});

test('listen addresses', () => {
  for (const addr of [':5000', '127.0.0.1:5000', '[::1]:5000', 'localhost:0']) {
    assert.equal(loadConfig({ env: { REGISTRY_HTTP_ADDR: addr } }).http.addr, addr);
  }
  assert.deepEqual(parseListenAddress(':5000'), { host: '0.0.0.0', port: 5000 });
  assert.deepEqual(parseListenAddress('[::1]:80'), { host: '::1', port: 80 });
  assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
  assert.throws(() => parseListenAddress('127.0.0.1:99999'));
  assert.throws(() => parseListenAddress('localhost'));
  assert.throws(() => parseListenAddress('::1:5000'));
});

test('durations: Go strings or nanoseconds, in milliseconds', () => {
  assert.equal(parseDuration('300ms'), 300);
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('168h'), 604_800_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('.5s'), 500);
  assert.equal(parseDuration('1500us'), 1.5);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration(10_000_000_000), 10_000);
  for (const bad of ['10 parsecs', '10', '', 's', '-1s', '1h 30m'])
    assert.throws(() => parseDuration(bad), bad);
  assert.throws(() => parseDuration(-1));

  const c = loadConfig({
    file: file(
      'http: {draintimeout: 60s}\nstorage: {maintenance: {uploadpurging: {interval: 10000000000}}}\n',
    ),
    env: { REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE: '1h' },
  });
  assert.equal(c.http.draintimeout, 60_000);
  assert.equal(c.storage.maintenance.uploadpurging.interval, 10_000);
  assert.equal(c.storage.maintenance.uploadpurging.age, 3_600_000);
  // A bare number from the environment is nanoseconds, as registry:2 decodes it.
  assert.equal(loadConfig({ env: { REGISTRY_HTTP_DRAINTIMEOUT: '5000000000' } }).http.draintimeout, 5_000);
});

test('values read by the type of their key, as registry:2 reads them', () => {
  const c = loadConfig({
    file: file(`version: 0.10
log: {level: DEBUG}
http:
  secret: 0123
  relativeurls: yes
  host:
storage: {delete: {enabled: on}}
`),
    env: {
      'REGISTRY_HTTP_HEADERS_X-CONTENT-TYPE-OPTIONS': '[nosniff]',
      REGISTRY_HTTP_TLS_KEY: '"/k.pem"',
      REGISTRY_HTTP_TLS_CERTIFICATE: '/c.pem',
    },
  });
  assert.equal(c.version, '0.10');
  assert.equal(c.log.level, 'debug');
  assert.equal(c.http.secret, '0123');
  assert.equal(c.http.relativeurls, true);
  assert.equal(c.http.host, undefined);
  assert.equal(c.storage.delete.enabled, true);
  assert.deepEqual(c.http.headers, { 'x-content-type-options': ['nosniff'] });
  assert.deepEqual(c.http.tls, { certificate: '/c.pem', key: '/k.pem' });
  assert.equal(
    loadConfig({ env: { REGISTRY_STORAGE_DELETE_ENABLED: 'false' } }).storage.delete.enabled,
    false,
  );
  assert.equal(loadConfig({ env: { REGISTRY_LOG_LEVEL: 'panic' } }).log.level, 'error');
  assert.equal(loadConfig({ env: { REGISTRY_LOG_LEVEL: 'warning' } }).log.level, 'warn');
  assert.equal(loadConfig({ env: { REGISTRY_LOG_FORMATTER: 'logstash' } }).log.formatter, 'json');
  const legacy = loadConfigWithWarnings({ file: file('loglevel: debug') });
  assert.equal(legacy.config.log.level, 'debug');
  assert.match(legacy.warnings.join('\n'), /'loglevel' is deprecated/);
  fails({ env: { REGISTRY_LOGLEVEL: 'loud' } }, /REGISTRY_LOGLEVEL \(log\.level\)/);
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
  assert.equal(config.version, '0.1');
  assert.deepEqual(config.log.fields, { service: 'registry' });
  assert.equal(config.storage.driver, 'filesystem');
  assert.equal(config.storage.filesystem.rootdirectory, '/var/lib/registry');
  assert.deepEqual(config.storage.cache, { blobdescriptor: 'inmemory' });
  assert.equal(config.http.addr, ':5000');
  assert.deepEqual(config.http.headers, { 'X-Content-Type-Options': ['nosniff'] });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /'health' is a registry:2 section Arca does not use/);
  assert.equal('health' in config, false);

  const more = loadConfigWithWarnings({
    file: file(
      'notifications: {endpoints: []}\nredis: {addr: "r:6379"}\nmiddleware:\nproxy: {remoteurl: "https://registry-1.docker.io"}\n',
    ),
    env: { REGISTRY_VALIDATION_DISABLED: 'true' },
  });
  // notifications and proxy are sections Arca acts on (issues 16, 17): loaded, not warned about.
  assert.deepEqual(more.warnings.map((w) => /'(\w+)'/.exec(w)?.[1]).sort(), [
    'middleware',
    'redis',
    'validation',
  ]);
  assert.deepEqual(more.config.notifications.endpoints, []);
  assert.deepEqual(more.config.proxy, { remoteurl: 'https://registry-1.docker.io', ttl: 300_000 });
  // REGISTRY_PROXY_* overrides, as registry:2 reads them; a username needs its password.
  const fromEnv = loadConfigWithWarnings({
    file: file('proxy: {remoteurl: "https://a.example"}\n'),
    env: {
      REGISTRY_PROXY_REMOTEURL: 'http://127.0.0.1:5000',
      REGISTRY_PROXY_USERNAME: 'u',
      REGISTRY_PROXY_PASSWORD: 'p',
      REGISTRY_PROXY_TTL: '90s',
    },
  });
  assert.deepEqual(fromEnv.config.proxy, {
    remoteurl: 'http://127.0.0.1:5000',
    username: 'u',
    password: 'p',
    ttl: 90_000,
  });
  assert.throws(
    () =>
      loadConfigWithWarnings({
        file: file('proxy: {remoteurl: "https://a.example", username: u}\n'),
        env: {},
      }),
    /both username and password/,
  );
  assert.throws(
    () => loadConfigWithWarnings({ file: file('proxy: {remoteurl: "ftp://a.example"}\n'), env: {} }),
    /proxy\.remoteurl/,
  );
});

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Run `config <args>` in this process, capturing what it writes and its exit code. */
function runConfigCommand(args: string[], env: Record<string, string> = {}): Run {
  const saved = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
    code: process.exitCode,
  };
  const run: Run = { code: 0, out: '', err: '' };
  process.stdout.write = ((chunk: string) => ((run.out += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((run.err += chunk), true)) as typeof process.stderr.write;
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  process.exitCode = 0;
  try {
    configCommand().parse(args, { from: 'user' });
    run.code = Number(process.exitCode ?? 0);
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.exitCode = saved.code;
    for (const k of Object.keys(env)) delete process.env[k];
  }
  return run;
}

test('arca config validate: OK with exit code 0, or the errors with exit code 1', () => {
  const good = runConfigCommand(['validate', file('http: {addr: ":5000"}\nhealth: {}\n')]);
  assert.deepEqual(good, {
    code: 0,
    out: 'configuration OK\n',
    err: "warning: config: 'health' is a registry:2 section Arca does not use; ignored\n",
  });
  const bad = runConfigCommand(['validate', file('storage: {filesystem: {rootdir: /x}}')]);
  assert.equal(bad.code, 1);
  assert.equal(bad.out, '');
  assert.equal(bad.err, "config: unknown key 'storage.filesystem.rootdir'\n");
  const env = runConfigCommand(['validate', file('{}')], { REGISTRY_HTTP_ADDR: 'nowhere' });
  assert.equal(env.code, 1);
  assert.match(env.err, /REGISTRY_HTTP_ADDR \(http\.addr\)/);
  const fromEnv = runConfigCommand(['validate'], { ARCA_CONFIG: file('colour: blue') });
  assert.equal(fromEnv.code, 1);
  assert.match(fromEnv.err, /unknown key 'colour'/);
});

test('arca config schema: the file format as JSON Schema, defaults included', () => {
  const run = runConfigCommand(['schema']);
  assert.equal(run.code, 0);
  const printed = JSON.parse(run.out) as Record<string, unknown>;
  assert.deepEqual(printed, configJsonSchema());
  type Node = { properties: Record<string, Node>; default?: unknown; additionalProperties?: unknown };
  const root = printed as unknown as Node;
  assert.equal(root.additionalProperties, false);
  assert.equal(root.properties.http!.properties.addr!.default, ':5000');
  assert.equal(root.properties.http!.properties.draintimeout!.default, '30s');
  assert.equal(root.properties.limits!.properties.manifestsize!.default, 4 * 1024 * 1024);
  assert.equal(root.properties.storage!.properties.s3!.properties.secure!.default, true);
  for (const key of [
    'version',
    'log',
    'http',
    'storage',
    'auth',
    'database',
    'datadir',
    'limits',
    'health',
    'notifications',
  ]) {
    assert.ok(key in root.properties, key);
  }
});
