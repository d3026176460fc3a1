import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand, ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import { bucketName, sharedCephRgw, type CephRgw } from './ceph-rgw.js';
import { createTestDatabase, type Dialect, type TestDatabase } from './dialects.js';
import { HTPASSWD_REALM, writeHtpasswd, type Credentials } from './htpasswd.js';
import { nodeFlagsOf } from './node-flags.js';
import { freePort } from './ports.js';
import { readLog, serverEnv, terminate, trackChild, waitForV2, type RunningServer } from './server.js';
import type { StorageKind } from './storages.js';
import { makeTempDir, type TempDir } from './tmp.js';
import type { Certificate } from './tls.js';

/** The repository root (where `dist/` is built). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI entry point; the test script runs `npm run build` first. `ARCA_TEST_MAIN` overrides it. */
export const ARCA_MAIN = process.env.ARCA_TEST_MAIN ?? join(REPO_ROOT, 'dist', 'cli', 'main.js');

export interface ArcaOptions {
  /** Deep-merged over the harness's config (objects merge, arrays and scalars replace). */
  config?: Record<string, unknown>;
  /** Extra environment (e.g. `REGISTRY_*` / `ARCA_*` overrides); inherited ones of those are dropped. */
  env?: Record<string, string>;
  /** Metadata database. Default sqlite. */
  dialect?: Dialect;
  /**
   * Blob storage. Default filesystem (in the data directory). With s3, a fresh bucket on this
   * process's Ceph RGW (started on first use), given as registry:2's `storage.s3` keys, and the
   * server trusting the gateway's CA through NODE_EXTRA_CA_CERTS.
   */
  storage?: StorageKind;
  /** Use this data directory (e.g. a second replica, or a new config over old data); never removed by the harness. */
  dataDir?: string;
  /** Use this database URL instead of a fresh one (second replica, or reuse after `stop({ keep: true })`); never dropped by the harness. */
  databaseUrl?: string;
  /**
   * Authentication. Default `none` (`auth: {none: {}}`), so tests of other rooms need no login;
   * `arca` writes no auth section (Arca's own accounts and token service, the product's default);
   * an `auth` key in `config` is used as it is.
   */
  auth?: 'none' | 'arca';
  /**
   * Basic auth with this one user the registry:2 way: `auth.htpasswd`, realm `basic-realm`, the
   * file in the data directory. Instead of `auth`.
   */
  htpasswd?: Credentials;
  /** Serve over TLS (`http.tls`) with this certificate: `url` is https, the start-up wait trusts it. */
  tls?: Certificate;
  /** How long to wait for `GET /v2/`. Default 20 000 ms. */
  startTimeoutMs?: number;
  /**
   * No configuration file: the server is configured by the environment alone, as a container
   * given an `.env` would be. `env` must then say everything (`REGISTRY_STORAGE`, …); the harness
   * adds only `REGISTRY_HTTP_ADDR`, `ARCA_DATADIR` and `ARCA_DATABASE_URL`. `config`, `storage`
   * `auth`, `htpasswd` and `tls` do not apply.
   */
  envOnly?: boolean;
}

export interface RunningArca extends RunningServer {
  readonly dialect: Dialect;
  readonly storage: StorageKind;
  /** Remove a stored object (e.g. `blobs/sha256/ab/ab…`) behind the server's back. */
  deleteStored(path: string): Promise<void>;
  /** Bytes in the parts of the bucket's unfinished multipart uploads (direct transfers); 0 on the filesystem. */
  bytesInOpenUploads(): Promise<number>;
  readonly databaseUrl: string;
  /** The config file; '' when the environment alone configures the server (`envOnly`). */
  readonly configPath: string;
  /** The full config as written (after the merge). */
  readonly config: Record<string, unknown>;
  /** Server stdout+stderr, appended across restarts. */
  readonly logPath: string;
  /** The current process (changes on restart). */
  readonly process: ChildProcess;
  readonly pid: number;
  logs(): string;
  /**
   * SIGTERM, wait for exit (SIGKILL after 10 s); then drop the database and remove the data
   * directory the harness made for it, unless `keep` (or ARCA_TEST_KEEP_TMP=1 for the directory).
   */
  stop(opts?: { keep?: boolean }): Promise<void>;
  /** Stop the process if it still runs (SIGTERM), start it again: same config, port, data and database. */
  restart(): Promise<RunningArca>;
}

type Json = Record<string, unknown>;

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** What must never reach a log line: JWTs, Arca's API keys and refresh tokens, Basic credentials. */
const secretPatterns: [string, RegExp][] = [
  ['a JWT', /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./],
  ['an API key', /arca_k_[0-9a-f]{16}_/],
  ['a refresh token', /arca_r_[0-9a-f]{16}_/],
  ['a Basic credential', /Basic [A-Za-z0-9+/]{8,}={0,2}/],
];

export function secretsIn(log: string): string[] {
  return secretPatterns.filter(([, pattern]) => pattern.test(log)).map(([what]) => what);
}

class ArcaServer implements RunningArca {
  private child!: ChildProcess;
  private stopped = false;

  constructor(
    readonly url: string,
    readonly host: string,
    readonly dataDir: string,
    readonly dialect: Dialect,
    readonly storage: StorageKind,
    private readonly bucket: { gw: CephRgw; name: string } | undefined,
    readonly databaseUrl: string,
    readonly configPath: string,
    readonly config: Json,
    readonly logPath: string,
    private readonly env: Record<string, string>,
    private readonly startTimeoutMs: number,
    private readonly ca: Buffer | undefined,
    private readonly ownedDir: TempDir | undefined,
    private readonly ownedDb: TestDatabase | undefined,
  ) {}

  get process(): ChildProcess {
    return this.child;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  logs(): string {
    return readLog(this.logPath);
  }

  /**
   * Bytes held in the parts of the bucket's unfinished multipart uploads: what direct transfers
   * (presigned parts straight to the bucket) have sent so far. 0 on the filesystem.
   */
  async bytesInOpenUploads(): Promise<number> {
    if (!this.bucket) return 0;
    const client = this.bucket.gw.client();
    try {
      let held = 0;
      const open = await client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket.name }));
      for (const u of open.Uploads ?? []) {
        const parts = await client
          .send(new ListPartsCommand({ Bucket: this.bucket.name, Key: u.Key, UploadId: u.UploadId }))
          .catch(() => ({ Parts: [] }));
        held += (parts.Parts ?? []).reduce((sum, p) => sum + (p.Size ?? 0), 0);
      }
      return held;
    } finally {
      client.destroy();
    }
  }

  async deleteStored(path: string): Promise<void> {
    if (!this.bucket) {
      rmSync(join(this.dataDir, 'storage', path));
      return;
    }
    const client = this.bucket.gw.client();
    try {
      await client.send(new DeleteObjectCommand({ Bucket: this.bucket.name, Key: path }));
    } finally {
      client.destroy();
    }
  }

  async spawn(): Promise<void> {
    if (!existsSync(ARCA_MAIN)) {
      throw new Error(`${ARCA_MAIN} does not exist: build first (npm run build)`);
    }
    const fd = openSync(this.logPath, 'a');
    try {
      const args = this.configPath ? ['serve', '--config', this.configPath] : ['serve'];
      this.child = spawn(process.execPath, [...nodeFlagsOf(ARCA_MAIN), ARCA_MAIN, ...args], {
        cwd: REPO_ROOT,
        env: this.env,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    trackChild(this.child);
    try {
      await waitForV2(this.url, this.child, {
        timeoutMs: this.startTimeoutMs,
        logPath: this.logPath,
        name: 'arca',
        ca: this.ca,
      });
    } catch (e) {
      await terminate(this.child);
      throw e;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  async restart(): Promise<RunningArca> {
    if (this.stopped) throw new Error('restart() after stop()');
    await terminate(this.child);
    writeFileSync(this.logPath, `--- arca-test harness: restart at ${new Date().toISOString()} ---\n`, {
      flag: 'a',
    });
    await this.spawn();
    return this;
  }

  async stop(opts: { keep?: boolean } = {}): Promise<void> {
    if (this.child) await terminate(this.child);
    if (this.stopped) return;
    this.stopped = true;
    // Every test's server log is checked: no token, API key, refresh token or Basic credential in it.
    const leaked = secretsIn(this.logs());
    if (leaked.length > 0) {
      throw new Error(`secrets in the server log ${this.logPath}: ${leaked.join(', ')}`);
    }
    if (opts.keep) return;
    await this.ownedDb?.drop();
    await this.ownedDir?.cleanup();
  }
}

/**
 * Start Arca (`node dist/cli/main.js serve --config <file>`) on 127.0.0.1:<free port> with
 * filesystem storage and its metadata database in a data directory, and wait until
 * `GET /v2/` answers 200 or 401.
 */
export async function startArca(opts: ArcaOptions = {}): Promise<RunningArca> {
  const dialect = opts.dialect ?? 'sqlite';
  const ownedDir = opts.dataDir ? undefined : makeTempDir('arca-');
  const dataDir = opts.dataDir ?? (ownedDir as TempDir).path;
  mkdirSync(dataDir, { recursive: true });
  let ownedDb: TestDatabase | undefined;
  let databaseUrl = opts.databaseUrl;
  if (!databaseUrl) {
    if (dialect === 'postgres') {
      ownedDb = await createTestDatabase();
      databaseUrl = ownedDb.url;
    } else {
      databaseUrl = `sqlite:${join(dataDir, 'arca.db')}`;
    }
  }
  const port = await freePort();
  let host = `127.0.0.1:${port}`;
  const env = { ...opts.env };
  let storage = opts.storage ?? 'filesystem';
  let bucket: { gw: CephRgw; name: string } | undefined;
  let config: Json = {};
  let configPath = '';
  if (opts.envOnly) {
    storage = env.REGISTRY_STORAGE === 's3' ? 's3' : 'filesystem';
    if (storage === 's3') bucket = { gw: await sharedCephRgw(), name: env.REGISTRY_STORAGE_S3_BUCKET ?? '' };
    Object.assign(env, {
      REGISTRY_HTTP_ADDR: host,
      ARCA_DATADIR: dataDir,
      ARCA_DATABASE_URL: databaseUrl,
    });
  } else {
    let storageConfig: Json = { filesystem: { rootdirectory: join(dataDir, 'storage') } };
    if (storage === 's3') {
      bucket = { gw: await sharedCephRgw(), name: bucketName() };
      await bucket.gw.createBucket(bucket.name);
      storageConfig = { s3: bucket.gw.storageConfig(bucket.name) };
      Object.assign(env, bucket.gw.serverEnv(), opts.env);
    }
    const base: Json = {
      version: 0.1,
      log: { level: 'warn' },
      http: {
        addr: host,
        secret: randomBytes(16).toString('hex'),
        ...(opts.tls ? { tls: { certificate: opts.tls.certPath, key: opts.tls.keyPath } } : {}),
      },
      // On S3, blob bytes come through Arca unless a test asks for redirects: the test process's
      // fetch does not trust the gateway's generated CA (real clients follow redirects in the client tests).
      storage: {
        ...storageConfig,
        delete: { enabled: true },
        ...(storage === 's3' ? { redirect: { disable: true } } : {}),
      },
      datadir: dataDir,
      database: { url: databaseUrl },
    };
    if (opts.htpasswd) {
      const path = await writeHtpasswd(join(dataDir, 'htpasswd'), opts.htpasswd);
      base.auth = { htpasswd: { realm: HTPASSWD_REALM, path } };
    } else if (opts.config?.auth === undefined && opts.auth !== 'arca') base.auth = { none: {} };
    config = deepMerge(base, opts.config ?? {});
    const addr = (config.http as Json | undefined)?.addr;
    if (typeof addr !== 'string' || !addr.startsWith('127.0.0.1:')) {
      throw new Error(`startArca: http.addr must be 127.0.0.1:<port>, got ${JSON.stringify(addr)}`);
    }
    host = addr;
    configPath = join(dataDir, `arca-${port}.yml`);
    writeFileSync(configPath, stringify(config));
  }
  const logPath = join(dataDir, `arca-${port}.log`);
  const server = new ArcaServer(
    `${opts.tls && !opts.envOnly ? 'https' : 'http'}://${host}`,
    host,
    dataDir,
    dialect,
    storage,
    bucket,
    databaseUrl,
    configPath,
    config,
    logPath,
    serverEnv(env),
    opts.startTimeoutMs ?? 20_000,
    opts.tls?.cert,
    ownedDir,
    ownedDb,
  );
  try {
    await server.spawn();
  } catch (e) {
    await ownedDb?.drop().catch(() => {});
    if (process.env.ARCA_TEST_KEEP_TMP !== '1') await ownedDir?.cleanup();
    throw e;
  }
  return server;
}
