import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { MiB } from './content.js';
import { countWithCurl } from './pull-client.js';

export interface MachineLimits {
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** File system of the bench's data directory (both servers store there). */
  storage: { fsType: string; device: string; freeGiB: number };
  bytes: number;
  sha256MiBps: number;
  diskWriteMiBps: number;
  loopbackMiBps: number;
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** The mount that holds `dir`: longest mount point that prefixes it. */
export function storageOf(dir: string): MachineLimits['storage'] {
  const path = resolve(dir);
  let best = { point: '', fsType: 'unknown', device: 'unknown' };
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [device, point, fsType] = line.split(' ');
    if (!device || !point || !fsType) continue;
    const inside = point === '/' || path === point || path.startsWith(`${point}/`);
    if (inside && point.length >= best.point.length) best = { point, fsType, device };
  }
  const s = statfsSync(path);
  return { fsType: best.fsType, device: best.device, freeGiB: (s.bavail * s.bsize) / 2 ** 30 };
}

/** Node's sha256 over `bytes` in 1 MiB updates. */
function sha256Rate(block: Buffer, bytes: number): number {
  const t0 = performance.now();
  const hash = createHash('sha256');
  for (let done = 0; done < bytes; done += MiB) hash.update(block);
  hash.digest();
  return bytes / MiB / seconds(t0);
}

/** Write `bytes` in 1 MiB writes to a new file in `dir`, fsync at the end. */
function diskWriteRate(block: Buffer, bytes: number, dir: string): number {
  const file = join(dir, 'disk-probe');
  const t0 = performance.now();
  const fd = openSync(file, 'w');
  try {
    for (let done = 0; done < bytes; done += MiB) {
      block.writeUInt32BE(done / MiB, 0); // not the same page twice
      writeSync(fd, block);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const rate = bytes / MiB / seconds(t0);
  rmSync(file, { force: true });
  return rate;
}

/** A bare Node HTTP server (its own process, like the registries) streaming one reused MiB. */
const loopbackServer = `
const http = require('node:http');
const block = Buffer.alloc(1 << 20, 1);
const total = Number(process.argv[1]);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Length': total, 'Content-Type': 'application/octet-stream' });
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      sent += block.length;
      if (!res.write(block)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

/** GET `bytes` from the bare server with the pull phases' client (curl), which discards them. */
async function loopbackRate(bytes: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', loopbackServer, String(bytes)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', (code) => reject(new Error(`loopback server exited with ${code}`)));
    });
    const t0 = performance.now();
    const { bytes: got } = await countWithCurl(`http://127.0.0.1:${port}/`);
    if (got !== bytes) throw new Error(`loopback: got ${got} of ${bytes} bytes`);
    return bytes / MiB / seconds(t0);
  } finally {
    child.kill('SIGTERM');
  }
}

/** What this machine can do at best: hashing, writing to the bench's disk, moving bytes over loopback HTTP. */
export async function measureMachine(dir: string, bytes: number): Promise<MachineLimits> {
  const block = randomBytes(MiB);
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    storage: storageOf(dir),
    bytes,
    sha256MiBps: sha256Rate(block, bytes),
    diskWriteMiBps: diskWriteRate(block, bytes, dir),
    loopbackMiBps: await loopbackRate(bytes),
  };
}
