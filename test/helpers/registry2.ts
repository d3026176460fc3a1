import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CephRgw } from './ceph-rgw.js';
import { HTPASSWD_REALM, writeHtpasswd, type Credentials } from './htpasswd.js';
import { freePort } from './ports.js';
import { serverEnv, terminate, trackChild, waitForV2, type RunningServer } from './server.js';
import { makeTempDir } from './tmp.js';

/** The CNCF distribution registry (registry:2) binary. */
export const REGISTRY2_BIN = process.env.ARCA_TEST_REGISTRY2_BIN ?? 'docker-registry';

export interface Registry2Options {
  /** Require basic auth with this one user (realm `basic-realm`). */
  htpasswd?: Credentials;
  /**
   * Store in this bucket of a Ceph RGW (which must exist) instead of a directory, with registry:2's
   * `storage.s3` keys and `extra` over them (e.g. `rootdirectory`).
   */
  s3?: { gw: CephRgw; bucket: string; extra?: Record<string, unknown> };
}

/**
 * The environment for registry:2 on a TLS gateway: it trusts the CA through SSL_CERT_FILE, and
 * AWS_CA_BUNDLE is removed (registry 2.8's AWS SDK crashes at start-up when it is set).
 */
export function registry2S3Env(gw: CephRgw): Record<string, string> {
  const env = serverEnv({ SSL_CERT_FILE: gw.caFile });
  delete env.AWS_CA_BUNDLE;
  return env;
}

export interface RunningRegistry2 extends RunningServer {
  readonly process: ChildProcess;
  readonly logPath: string;
  readonly configPath: string;
}

/**
 * Start registry:2 on 127.0.0.1:<free port> with filesystem storage in a fresh temp dir (or in a bucket),
 * deletes enabled, and wait until `GET /v2/` answers. `stop()` also removes the temp dir.
 */
export async function startRegistry2(opts: Registry2Options = {}): Promise<RunningRegistry2> {
  const tmp = makeTempDir('registry2-');
  const dataDir = tmp.path;
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const backend = opts.s3
    ? { s3: opts.s3.gw.storageConfig(opts.s3.bucket, opts.s3.extra) }
    : { filesystem: { rootdirectory: join(dataDir, 'storage') } };
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { ...backend, delete: { enabled: true } },
    http: { addr: host, secret: randomBytes(16).toString('hex') },
  };
  if (opts.htpasswd) {
    const path = await writeHtpasswd(join(dataDir, 'htpasswd'), opts.htpasswd);
    config.auth = { htpasswd: { realm: HTPASSWD_REALM, path } };
  }
  await mkdir(join(dataDir, 'storage'), { recursive: true });
  const configPath = join(dataDir, 'config.yml');
  await writeFile(configPath, stringify(config));
  const logPath = join(dataDir, 'registry.log');
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(REGISTRY2_BIN, ['serve', configPath], {
      cwd: dataDir,
      env: opts.s3 ? registry2S3Env(opts.s3.gw) : serverEnv(),
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  trackChild(child);
  const url = `http://${host}`;
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`${REGISTRY2_BIN}: ${e.message}`))),
  );
  spawnError.catch(() => {});
  try {
    await Promise.race([
      waitForV2(url, child, { timeoutMs: 20_000, logPath, name: 'registry:2' }),
      spawnError,
    ]);
  } catch (e) {
    await terminate(child);
    throw e;
  }
  return {
    url,
    host,
    dataDir,
    logPath,
    configPath,
    process: child,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => {
      child.kill(signal);
    },
    stop: async () => {
      await terminate(child);
      await tmp.cleanup();
    },
  };
}
