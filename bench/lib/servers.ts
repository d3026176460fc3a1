import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export type ServerName = 'registry2' | 'arca';

export interface BenchServer {
  name: ServerName;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

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

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url}: not ready in 20 s`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/** Start a fresh server with its data under `dir` (wiped first), on a free loopback port. */
export async function startServer(
  name: ServerName,
  dir: string,
  options: { arcaMain: string; profileDir?: string },
): Promise<BenchServer> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const log = openSync(join(dir, 'server.log'), 'a');
  let child: ChildProcess;
  if (name === 'registry2') {
    const config = [
      'version: 0.1',
      'log: {level: warn, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'storage')}}, delete: {enabled: true}}`,
      `http: {addr: "${addr}", secret: bench}`,
    ].join('\n');
    writeFileSync(join(dir, 'config.yml'), config);
    const env = { ...process.env };
    delete env.AWS_CA_BUNDLE;
    child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
      stdio: ['ignore', log, log],
      env,
    });
  } else {
    const config = [
      'version: 0.1',
      'log: {level: warn, accesslog: {disabled: true}}',
      `http: {addr: "${addr}", secret: bench}`,
      `storage: {filesystem: {rootdirectory: ${join(dir, 'storage')}}, delete: {enabled: true}}`,
      'auth: {none: {}}',
      `database: {url: "sqlite:${join(dir, 'arca.db')}"}`,
      `datadir: ${dir}`,
    ].join('\n');
    writeFileSync(join(dir, 'config.yml'), config);
    const profile = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
    const env: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith('REGISTRY_') && !k.startsWith('ARCA_')) env[k] = v;
    child = spawn(
      process.execPath,
      [...profile, options.arcaMain, 'serve', '--config', join(dir, 'config.yml')],
      {
        stdio: ['ignore', log, log],
        env,
      },
    );
  }
  const url = `http://${addr}`;
  await waitReady(url, child);
  return { name, url, pid: child.pid!, stop: stopper(child) };
}
