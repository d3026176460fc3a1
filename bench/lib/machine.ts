import { createHash } from 'node:crypto';
import { createServer, get } from 'node:http';
import { openSync, writeSync, fsyncSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { MiB } from './content.js';

export interface MachineLimits {
  cpu: string;
  cores: number;
  sha256MBps: number;
  diskWriteMBps: number;
  loopbackMBps: number;
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** What this machine can do at best: hashing, writing to the bench's disk, moving bytes over loopback HTTP. */
export async function measureMachine(dir: string, totalBytes: number): Promise<MachineLimits> {
  const block = Buffer.alloc(MiB, 7);
  let t0 = process.hrtime.bigint();
  const hash = createHash('sha256');
  for (let done = 0; done < totalBytes; done += MiB) hash.update(block);
  hash.digest();
  const sha256MBps = totalBytes / MiB / seconds(t0);

  const file = join(dir, 'disk-probe');
  t0 = process.hrtime.bigint();
  const fd = openSync(file, 'w');
  for (let done = 0; done < totalBytes; done += MiB) writeSync(fd, block);
  fsyncSync(fd);
  closeSync(fd);
  const diskWriteMBps = totalBytes / MiB / seconds(t0);
  rmSync(file, { force: true });

  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': totalBytes });
    let sent = 0;
    const pump = () => {
      while (sent < totalBytes) {
        sent += MiB;
        if (!res.write(block)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) =>
    get(`http://127.0.0.1:${port}/`, (res) => {
      res.on('data', () => undefined);
      res.on('end', resolve);
    }).on('error', reject),
  );
  const loopbackMBps = totalBytes / MiB / seconds(t0);
  server.close();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    sha256MBps,
    diskWriteMBps,
    loopbackMBps,
  };
}
