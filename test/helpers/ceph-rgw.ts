import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { exec, execOk } from './exec.js';
import { freePort } from './ports.js';
import { keepTemp, makeTempDir, type TempDir } from './tmp.js';
import { caSignedCertificate } from './tls.js';
import { eventually } from './wait-for.js';

/**
 * A Ceph RADOS Gateway on 127.0.0.1 behind TLS: one monitor, one OSD on memstore (RAM), one
 * radosgw, every file in one temporary directory. See shared S3-TESTING notes for why each
 * setting is there. Start one per test process (`sharedCephRgw`) and give each test its own bucket.
 */
export interface CephRgw {
  /** `https://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** PEM of the CA that signed the gateway's certificate (for NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  readonly region: string;
  /** The temporary directory holding config, logs, pid files and certificates. */
  readonly dir: string;
  /** Milliseconds from the call to a gateway that answers. */
  readonly startMs: number;
  /** A new https agent trusting the CA, for S3 clients in the test process. */
  httpsAgent(): Agent;
  /** A client for the test process (path style, trusting the CA). */
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  /** Every object of a bucket: key → ETag (an object's bytes and its key stand for the whole bucket). */
  objects(bucket: string): Promise<Map<string, string>>;
  /** Abort the bucket's multipart uploads, delete its objects, then the bucket (its RAM is freed soon after). */
  deleteBucket(name: string): Promise<void>;
  /** registry:2's `storage.s3` keys for a bucket on this gateway. */
  storageConfig(bucket: string, extra?: Record<string, unknown>): Record<string, unknown>;
  /** Environment for a server process that talks to this gateway (trusts the CA). */
  serverEnv(): Record<string, string>;
  /** The daemons' PIDs (radosgw, OSD, monitor), e.g. to measure what they use. */
  pids(): number[];
  /** Stop the daemons by the PIDs from their pid files, then remove the directory. */
  stop(): Promise<void>;
}

const DAEMONS = ['client.rgw', 'osd.0', 'mon.a'] as const;

function conf(dir: string, fsid: string, monPort: number, rgwPort: number, memstoreBytes: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
public addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
# without these radosgw hangs at start-up (get_initial_auth_request returned -13)
ms mon client mode = crc
ms client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
osd crush chooseleaf type = 0
# start-up in ~2 s instead of ~15 s
paxos propose interval = 0.05
# a nearly full disk must not stop the monitor
mon data avail crit = 0
mon data avail warn = 0
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
pid file = ${dir}/run/$name.pid
keyring = ${dir}/keyring
mon data = ${dir}/mon/$id
osd data = ${dir}/osd/$id
debug ms = 0

[osd]
osd objectstore = memstore
memstore device bytes = ${memstoreBytes}
osd max object name len = 460
osd max object namespace len = 64

[client.rgw]
rgw frontends = beast ssl_endpoint=127.0.0.1:${rgwPort} ssl_certificate=${dir}/tls/server.pem ssl_private_key=${dir}/tls/server.key tcp_nodelay=1
# deleted objects give their RAM back soon, not after two hours
rgw gc obj min wait = 10
rgw gc processor period = 10
`;
}

/** True while `pid` runs a command line mentioning `marker` (not a zombie, not a reused PID). */
function isOurs(pid: number, marker: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

class Gateway implements CephRgw {
  private readonly daemons = new Map<string, number>();
  private stopped = false;
  private readonly onExit = () => this.killNow();
  ca: Buffer | undefined;
  startMs = 0;

  constructor(
    readonly endpoint: string,
    readonly accessKey: string,
    readonly secretKey: string,
    readonly region: string,
    private readonly tmp: TempDir,
    private readonly confPath: string,
  ) {
    process.on('exit', this.onExit);
  }

  get dir(): string {
    return this.tmp.path;
  }

  pids(): number[] {
    return [...this.daemons.values()];
  }

  get caFile(): string {
    return join(this.dir, 'tls', 'ca.pem');
  }

  /** Run a ceph tool against this cluster. */
  tool(cmd: string, args: string[], timeoutMs = 30_000) {
    return execOk(cmd, ['-c', this.confPath, ...args], { timeoutMs, cwd: this.dir });
  }

  /** Start a daemon (it forks and writes its pid file before the command returns). */
  async daemon(cmd: string, args: string[], name: string): Promise<void> {
    await this.tool(cmd, args);
    const pid = readPid(join(this.dir, 'run', `${name}.pid`));
    if (pid === undefined) throw new Error(`ceph-rgw: ${cmd} left no pid file for ${name}`);
    this.daemons.set(name, pid);
  }

  /**
   * A watchdog (its own process group) that kills the daemons and removes the directory if this
   * process dies without stopping them, e.g. on SIGKILL.
   */
  watch(): void {
    const pidFiles = DAEMONS.map((d) => join(this.dir, 'run', `${d}.pid`)).join(' ');
    const script = `while kill -0 ${process.pid} 2>/dev/null && [ -d '${this.dir}/run' ]; do sleep 1; done
for f in ${pidFiles}; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
${keepTemp() ? '' : `sleep 1; rm -rf '${this.dir}'`}
exit 0`;
    const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    child.unref();
  }

  client(): S3Client {
    return new S3Client({
      endpoint: this.endpoint,
      region: this.region,
      forcePathStyle: true,
      credentials: { accessKeyId: this.accessKey, secretAccessKey: this.secretKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: new NodeHttpHandler({ httpsAgent: this.httpsAgent() }),
    });
  }

  httpsAgent(): Agent {
    return new Agent({ ca: this.ca, keepAlive: true, maxSockets: 64 });
  }

  async createBucket(name: string): Promise<void> {
    const client = this.client();
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } finally {
      client.destroy();
    }
  }

  async objects(bucket: string): Promise<Map<string, string>> {
    const client = this.client();
    const out = new Map<string, string>();
    try {
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key) out.set(o.Key, o.ETag ?? '');
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } finally {
      client.destroy();
    }
    return out;
  }

  async deleteBucket(name: string): Promise<void> {
    const client = this.client();
    try {
      for (;;) {
        const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: name }));
        for (const u of uploads.Uploads ?? []) {
          await client.send(
            new AbortMultipartUploadCommand({ Bucket: name, Key: u.Key, UploadId: u.UploadId }),
          );
        }
        if (!uploads.IsTruncated) break;
      }
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket: name }));
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length === 0) break;
        await client.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys, Quiet: true } }));
      }
      await client.send(new DeleteBucketCommand({ Bucket: name }));
    } finally {
      client.destroy();
    }
  }

  storageConfig(bucket: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      accesskey: this.accessKey,
      secretkey: this.secretKey,
      region: this.region,
      regionendpoint: this.endpoint,
      bucket,
      secure: true,
      v4auth: true,
      ...extra,
    };
  }

  serverEnv(): Record<string, string> {
    return { NODE_EXTRA_CA_CERTS: this.caFile };
  }

  private killNow(): void {
    for (const [, pid] of this.daemons) {
      if (isOurs(pid, this.confPath)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // The gateway first (it would wait for the OSD), then the OSD, then the monitor. Their data
    // is in RAM and thrown away, so a short grace is enough before SIGKILL.
    for (const name of DAEMONS) {
      const pid = this.daemons.get(name);
      if (pid === undefined || !isOurs(pid, this.confPath)) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      const deadline = Date.now() + 2_000;
      while (isOurs(pid, this.confPath) && Date.now() < deadline) await sleep(25);
      if (isOurs(pid, this.confPath)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
        while (isOurs(pid, this.confPath)) await sleep(25);
      }
      // So the watchdog never signals a PID the system has given to someone else since.
      rmSync(join(this.dir, 'run', `${name}.pid`), { force: true });
    }
    process.off('exit', this.onExit);
    await this.tmp.cleanup();
  }
}

export interface CephRgwOptions {
  /** RAM the OSD may use for data (a cap: only what is stored takes memory). Default 16 GiB. */
  memstoreBytes?: number;
}

/** Start a fresh gateway; ~2–3 s. Throws with the daemons' log tails if it does not come up. */
export async function startCephRgw(opts: CephRgwOptions = {}): Promise<CephRgw> {
  const started = Date.now();
  const tmp = makeTempDir('ceph-rgw-');
  const dir = tmp.path;
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const fsid = randomUUID();
  const confPath = join(dir, 'ceph.conf');
  const gw = new Gateway(
    `https://127.0.0.1:${rgwPort}`,
    `AK${randomBytes(9).toString('hex').toUpperCase()}`,
    randomBytes(20).toString('hex'),
    'us-east-1',
    tmp,
    confPath,
  );
  try {
    for (const sub of ['run', 'log', 'mon/a', 'osd/0']) await mkdir(join(dir, sub), { recursive: true });
    await writeFile(confPath, conf(dir, fsid, monPort, rgwPort, opts.memstoreBytes ?? 16 * 1024 ** 3));
    const certificates = caSignedCertificate(join(dir, 'tls'));
    certificates.catch(() => {});
    gw.watch();

    const keyring = join(dir, 'keyring');
    await execOk('ceph-authtool', [
      '--create-keyring',
      keyring,
      '--gen-key',
      '-n',
      'mon.',
      '--cap',
      'mon',
      'allow *',
    ]);
    await execOk('ceph-authtool', [
      keyring,
      '--gen-key',
      '-n',
      'client.admin',
      '--cap',
      'mon',
      'allow *',
      '--cap',
      'osd',
      'allow *',
      '--cap',
      'mgr',
      'allow *',
    ]);
    const monmap = join(dir, 'monmap');
    await execOk('monmaptool', [
      '--create',
      '--addv',
      'a',
      `[v2:127.0.0.1:${monPort}]`,
      '--fsid',
      fsid,
      monmap,
    ]);
    await gw.tool('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', keyring]);
    await gw.daemon('ceph-mon', ['-i', 'a'], 'mon.a');

    const osdUuid = randomUUID();
    const id = (await gw.tool('ceph', ['osd', 'new', osdUuid])).stdout.trim();
    if (id !== '0') throw new Error(`ceph-rgw: expected OSD id 0, got ${JSON.stringify(id)}`);
    await gw.tool('ceph-osd', ['-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    await gw.daemon('ceph-osd', ['-i', '0'], 'osd.0');
    await eventually(
      async () =>
        /\b1 up\b/.test((await exec('ceph', ['-c', confPath, 'osd', 'stat'], { timeoutMs: 10_000 })).stdout),
      'ceph-rgw: OSD (1 up) not ready within 30000 ms',
      { timeoutMs: 30_000 },
    );

    await gw.tool('radosgw-admin', [
      'user',
      'create',
      '--uid',
      'test',
      '--display-name',
      'test',
      '--access-key',
      gw.accessKey,
      '--secret-key',
      gw.secretKey,
    ]);
    gw.ca = (await certificates).ca;
    await gw.daemon('radosgw', ['-n', 'client.rgw'], 'client.rgw');
    await eventually(
      () => portOpen(rgwPort),
      `ceph-rgw: radosgw on port ${rgwPort} not ready within 30000 ms`,
      {
        timeoutMs: 30_000,
      },
    );
    gw.startMs = Date.now() - started;
    return gw;
  } catch (err) {
    const logs = ['mon.a', 'osd.0', 'client.rgw']
      .map((n) => join(dir, 'log', `${n}.log`))
      .filter((f) => existsSync(f))
      .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-20).join('\n')}`)
      .join('\n');
    await gw.stop();
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }
}

let shared: Promise<CephRgw> | undefined;

/**
 * One gateway for this test process, started on first use and stopped when the process exits.
 * `ARCA_TEST_S3_MEMSTORE_GIB` sets its RAM cap for data (default 16 GiB).
 */
export function sharedCephRgw(): Promise<CephRgw> {
  const gib = Number(process.env.ARCA_TEST_S3_MEMSTORE_GIB);
  shared ??= startCephRgw(gib > 0 ? { memstoreBytes: gib * 1024 ** 3 } : {});
  return shared;
}

/** Stop the shared gateway (call from a top-level `after`). */
export async function stopSharedCephRgw(): Promise<void> {
  const gw = shared;
  shared = undefined;
  if (gw) await (await gw).stop();
}

/** A bucket name unique to this run. */
export function bucketName(prefix = 'arca'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}
