/**
 * Arca against CNCF registry:2 on the same machine and disk, interleaved round by round.
 *   npm run bench                 full run (3 rounds)
 *   npm run bench -- --quick      small sizes, one round: a smoke test that every phase works
 *   options: --rounds N, --only arca|registry2, --phase <substring>, --profile (Arca with --cpu-prof)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { blobSpec, MiB, type BlobSpec } from './lib/content.js';
import { call, pull, pushChunked, pushMonolithic, putManifest } from './lib/http.js';
import { closedLoop, sequential, wrk, type LoadResult } from './lib/load.js';
import { measureMachine } from './lib/machine.js';
import { PhaseMeter } from './lib/proc.js';
import { table, type Measurement } from './lib/report.js';
import { startServer, type BenchServer, type ServerName } from './lib/servers.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
    phase: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const sizes = quick
  ? {
      small: 16 * MiB,
      large: 32 * MiB,
      chunked: 16 * MiB,
      concurrent: 8,
      concurrentSize: 4 * MiB,
      loadSeconds: 2,
      tags: 100,
      lists: 20,
    }
  : {
      small: 256 * MiB,
      large: 1024 * MiB,
      chunked: 256 * MiB,
      concurrent: 64,
      concurrentSize: 16 * MiB,
      loadSeconds: 10,
      tags: 1000,
      lists: 200,
    };
const rounds = Number(args.rounds ?? (quick ? 1 : 3));
const servers: ServerName[] = args.only ? [args.only as ServerName] : ['registry2', 'arca'];
const work = join(here, '.work');
const resultsDir = join(here, 'results');
mkdirSync(work, { recursive: true });
mkdirSync(resultsDir, { recursive: true });
const arcaMain = resolve(here, '..', 'dist', 'cli', 'main.js');

const measurements: Measurement[] = [];
const resources: {
  round: number;
  server: ServerName;
  phase: string;
  cpuSeconds: number;
  peakRssMB: number;
}[] = [];
const failures: string[] = [];

function record(
  round: number,
  server: ServerName,
  phase: string,
  metric: string,
  value: number,
  higherIsBetter = true,
) {
  measurements.push({ round, server, phase, metric, value, higherIsBetter });
}

function recordLoad(round: number, server: ServerName, phase: string, r: LoadResult) {
  record(round, server, phase, 'req/s', r.reqPerSec);
  record(round, server, phase, 'p50 ms', r.p50ms, false);
  record(round, server, phase, 'p99 ms', r.p99ms, false);
  if (r.errors > 0) throw new Error(`${r.errors} failed requests`);
}

async function phase(
  round: number,
  server: BenchServer,
  name: string,
  run: () => Promise<void>,
): Promise<void> {
  if (args.phase && !name.includes(args.phase)) return;
  const meter = new PhaseMeter(server.pid);
  try {
    await run();
  } catch (err) {
    failures.push(`round ${round} ${server.name} ${name}: ${(err as Error).message}`);
  } finally {
    resources.push({ round, server: server.name, phase: name, ...meter.stop() });
  }
}

async function timedMBps(
  round: number,
  server: BenchServer,
  name: string,
  bytes: number,
  run: () => Promise<void>,
) {
  await phase(round, server, name, async () => {
    const t0 = process.hrtime.bigint();
    await run();
    record(round, server.name, name, 'MB/s', bytes / MiB / (Number(process.hrtime.bigint() - t0) / 1e9));
  });
}

const manifestType = 'application/vnd.oci.image.manifest.v1+json';

async function runRound(round: number, name: ServerName): Promise<void> {
  // New content for every round and server, hashed before anything is timed.
  const seed = round * 1000 + (name === 'arca' ? 500 : 0);
  const small = blobSpec(sizes.small, seed + 1);
  const large = blobSpec(sizes.large, seed + 2);
  const chunked = blobSpec(sizes.chunked, seed + 3);
  const many: BlobSpec[] = Array.from({ length: sizes.concurrent }, (_, i) =>
    blobSpec(sizes.concurrentSize, seed + 10 + i),
  );

  const server = await startServer(name, join(work, name), {
    arcaMain,
    profileDir: args.profile && name === 'arca' ? join(resultsDir, 'profiles') : undefined,
  });
  try {
    await timedMBps(round, server, `push ${sizes.small / MiB} MiB monolithic`, small.size, () =>
      pushMonolithic(server.url, 'bench/mono', small),
    );
    await timedMBps(round, server, `push ${sizes.large / MiB} MiB monolithic`, large.size, () =>
      pushMonolithic(server.url, 'bench/mono', large),
    );
    await timedMBps(round, server, `push ${sizes.chunked / MiB} MiB in 8 MiB chunks`, chunked.size, () =>
      pushChunked(server.url, 'bench/chunked', chunked),
    );
    await timedMBps(round, server, `pull ${sizes.large / MiB} MiB (count bytes)`, large.size, () =>
      pull(server.url, 'bench/mono', large, false),
    );
    await timedMBps(round, server, `pull ${sizes.large / MiB} MiB (verify sha256)`, large.size, () =>
      pull(server.url, 'bench/mono', large, true),
    );
    await timedMBps(
      round,
      server,
      `${sizes.concurrent} concurrent pushes of ${sizes.concurrentSize / MiB} MiB`,
      sizes.concurrent * sizes.concurrentSize,
      async () => {
        await Promise.all(many.map((b, i) => pushMonolithic(server.url, `bench/concurrent${i}`, b)));
      },
    );

    // A small image to serve manifests from.
    const config = Buffer.from('{}');
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    await pushMonolithicBuffer(server.url, 'bench/app', config, configDigest);
    await pushMonolithic(server.url, 'bench/app', small);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: manifestType,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: small.digest, size: small.size },
        ],
      }),
    );
    const put = await putManifest(server.url, 'bench/app', 'latest', manifest, manifestType);
    const manifestDigest = String(put.headers['docker-content-digest']);

    const conns = 32;
    await phase(round, server, 'manifest PUT', async () =>
      recordLoad(
        round,
        name,
        'manifest PUT',
        await wrk(
          `${server.url}/v2/bench/app/manifests/wrk`,
          sizes.loadSeconds,
          conns,
          {
            method: 'PUT',
            headers: { 'Content-Type': manifestType },
            body: manifest,
          },
          work,
        ),
      ),
    );
    await phase(round, server, 'manifest GET by tag', async () =>
      recordLoad(
        round,
        name,
        'manifest GET by tag',
        await wrk(
          `${server.url}/v2/bench/app/manifests/latest`,
          sizes.loadSeconds,
          conns,
          {
            method: 'GET',
            headers: { Accept: manifestType },
          },
          work,
        ),
      ),
    );
    await phase(round, server, 'manifest HEAD by digest', async () =>
      recordLoad(
        round,
        name,
        'manifest HEAD by digest',
        await closedLoop(
          server.url,
          'HEAD',
          `/v2/bench/app/manifests/${manifestDigest}`,
          sizes.loadSeconds,
          conns,
          200,
          { Accept: manifestType },
        ),
      ),
    );

    for (let i = 0; i < sizes.tags; i += 16) {
      await Promise.all(
        Array.from({ length: Math.min(16, sizes.tags - i) }, (_, j) =>
          putManifest(server.url, 'bench/app', `t${String(i + j).padStart(5, '0')}`, manifest, manifestType),
        ),
      );
    }
    await phase(round, server, `tag list (${sizes.tags} tags)`, async () =>
      recordLoad(
        round,
        name,
        `tag list (${sizes.tags} tags)`,
        await sequential(server.url, '/v2/bench/app/tags/list', sizes.lists),
      ),
    );
    await phase(round, server, 'catalog', async () =>
      recordLoad(round, name, 'catalog', await sequential(server.url, '/v2/_catalog', sizes.lists)),
    );
  } finally {
    await server.stop();
  }
}

async function pushMonolithicBuffer(base: string, repo: string, data: Buffer, digest: string) {
  const start = await call(base, 'POST', `/v2/${repo}/blobs/uploads/`);
  const location = String(start.headers.location);
  const r = await call(base, 'PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, {
    headers: { 'Content-Length': data.length },
    body: [data],
  });
  if (r.status !== 201) throw new Error(`config blob upload: ${r.status}`);
}

const started = new Date();
console.log(`bench: ${quick ? 'quick' : 'full'} run, ${rounds} round(s), servers ${servers.join(' and ')}`);
const machine = await measureMachine(work, quick ? 64 * MiB : 1024 * MiB);
console.log(
  `machine: ${machine.cores} × ${machine.cpu}; sha256 ${machine.sha256MBps.toFixed(0)} MB/s, disk write ${machine.diskWriteMBps.toFixed(0)} MB/s, loopback HTTP ${machine.loopbackMBps.toFixed(0)} MB/s`,
);
for (let round = 1; round <= rounds; round++) {
  for (const name of servers) {
    process.stdout.write(`round ${round}: ${name} … `);
    const t0 = Date.now();
    await runRound(round, name);
    console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

console.log(`\n${table(measurements)}\n`);
const peak = (server: ServerName) =>
  Math.max(0, ...resources.filter((r) => r.server === server).map((r) => r.peakRssMB));
const cpu = (server: ServerName) =>
  resources.filter((r) => r.server === server).reduce((a, r) => a + r.cpuSeconds, 0);
for (const s of servers)
  console.log(`${s}: peak RSS ${peak(s).toFixed(0)} MB, CPU ${cpu(s).toFixed(1)} s over ${rounds} round(s)`);
const file = join(resultsDir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  JSON.stringify({ started, quick, rounds, machine, measurements, resources, failures }, null, 2),
);
console.log(`all rounds: ${file}`);
rmSync(work, { recursive: true, force: true });
// registry:2's own errors are reported, not fatal: the smoke test is about Arca.
const arcaFailures = failures.filter((f) => f.includes(' arca '));
if (failures.length > 0) console.error(`\n${failures.length} phase(s) had errors:\n${failures.join('\n')}`);
if (arcaFailures.length > 0) process.exit(1);
