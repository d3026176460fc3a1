import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { nodeFlagsOf } from '../test/helpers/node-flags.js';

export type ServerName = 'registry2' | 'arca';
export const serverNames: readonly ServerName[] = ['registry2', 'arca'];
export const label: Record<ServerName, string> = { registry2: 'registry:2', arca: 'Arca' };

export interface BenchServer {
  name: ServerName;
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  /** Where its config, log, storage and database live (wiped at start and stop). */
  dir: string;
  /** True while the process runs. */
  alive(): boolean;
  /** SIGTERM (a clean exit writes Arca's CPU profile), SIGKILL after 15 s; then the data is removed. */
  stop(): Promise<void>;
}

/** A bucket on the bench's S3 gateway, and how to reach it. */
export interface S3Target {
  /** registry:2's `storage.s3` keys (endpoint, bucket, keys, region). */
  params: Record<string, unknown>;
  /** PEM of the CA the gateway's certificate is signed by. */
  caFile: string;
}

export interface StartOptions {
  /** dist/cli/main.js of the Arca build under test. */
  arcaMain: string;
  /** Store blobs in this bucket instead of the data directory; both servers proxy blob GETs. */
  s3?: S3Target;
  /** Start Arca with --cpu-prof into this directory. */
  profileDir?: string;
  profileName?: string;
}

/** Servers still running: killed if the bench exits without stopping them (an error, Ctrl-C). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8').trim().split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}

async function waitReady(url: string, child: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${logTail(dir)}`);
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${url}: not ready in 30 s:\n${logTail(dir)}`);
}

/**
 * The environment without variables that either server reads as config overrides. On S3 each
 * trusts the gateway's CA its own way: Node through NODE_EXTRA_CA_CERTS, Go through SSL_CERT_FILE
 * (and registry 2.8's AWS SDK crashes at start-up when AWS_CA_BUNDLE is set).
 */
function serverEnv(name: ServerName, s3: S3Target | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('REGISTRY_') && !k.startsWith('ARCA_')) env[k] = v;
  if (s3 && name === 'arca') env.NODE_EXTRA_CA_CERTS = s3.caFile;
  if (s3 && name === 'registry2') {
    delete env.AWS_CA_BUNDLE;
    env.SSL_CERT_FILE = s3.caFile;
  }
  return env;
}

/**
 * The registry:2 style YAML both servers take; Arca adds its database and data directory. On S3
 * both get the same `storage.s3` keys and proxy blob GETs (`redirect: {disable: true}`), so a pull
 * measures the server, not a redirect.
 */
function configYaml(name: ServerName, dir: string, addr: string, s3: S3Target | undefined): string {
  const q = JSON.stringify; // a JSON string is a valid YAML flow scalar
  const storage = s3
    ? `storage: {s3: ${q(s3.params)}, delete: {enabled: true}, redirect: {disable: true}}`
    : `storage: {filesystem: {rootdirectory: ${q(join(dir, 'storage'))}}, delete: {enabled: true}}`;
  const lines = [
    'version: 0.1',
    'log: {level: warn, accesslog: {disabled: true}}',
    `http: {addr: ${q(addr)}, secret: bench}`,
    storage,
  ];
  // registry:2 runs without authentication unless configured; Arca needs to be told (it defaults to its accounts).
  if (name === 'arca')
    lines.push(
      'auth: {none: {}}',
      `database: {url: ${q(`sqlite:${join(dir, 'arca.db')}`)}}`,
      `datadir: ${q(dir)}`,
    );
  return `${lines.join('\n')}\n`;
}

/** Start a fresh server with its data under `dir` (wiped first), on a free loopback port. */
export async function startServer(
  name: ServerName,
  dir: string,
  options: StartOptions,
): Promise<BenchServer> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const addr = `127.0.0.1:${await freePort()}`;
  const config = join(dir, 'config.yml');
  writeFileSync(config, configYaml(name, dir, addr, options.s3));
  const log = openSync(join(dir, 'server.log'), 'a');
  const stdio: ['ignore', number, number] = ['ignore', log, log];
  let child: ChildProcess;
  if (name === 'registry2') {
    child = spawn('docker-registry', ['serve', config], { stdio, env: serverEnv(name, options.s3) });
  } else {
    const profile = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
    if (options.profileDir && options.profileName) profile.push('--cpu-prof-name', options.profileName);
    const flags = nodeFlagsOf(options.arcaMain);
    child = spawn(process.execPath, [...flags, ...profile, options.arcaMain, 'serve', '--config', config], {
      stdio,
      env: serverEnv(name, options.s3),
    });
  }
  closeSync(log);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const url = `http://${addr}`;
  await waitReady(url, child, dir);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (alive()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    rmSync(join(dir, 'storage'), { recursive: true, force: true });
  };
  return { name, url, pid: child.pid!, dir, alive, stop };
}

/** Versions for the record. */
export function versions(arcaMain: string): Record<string, string> {
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || 'unknown';
  };
  let arca = 'unknown';
  try {
    const pkg = JSON.parse(readFileSync(join(arcaMain, '..', '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    arca = pkg.version;
  } catch {
    // no package.json next to the build
  }
  return {
    node: process.version,
    arca,
    arcaCommit: run('git', ['rev-parse', '--short', 'HEAD']),
    registry2: run('docker-registry', ['--version']),
    wrk: run('wrk', ['-v']).split('\n')[0] ?? 'unknown',
  };
}
