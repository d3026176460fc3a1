/**
 * Arca against CNCF registry:2 on the same machine and disk, interleaved round by round
 * (registry:2, Arca, registry:2, Arca, …; each server fresh every round). `--help` for the options.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MiB } from './content.js';
import { measureMachine, storageOf } from './machine.js';
import { parseOptions, usage, type Options } from './options.js';
import { runRound } from './round.js';
import { phases as allPhases, type Phase } from './phases/index.js';
import { machineTable, resourceTable, resultsTable, summary, fmt, type PhaseRecord } from './report.js';
import { BenchGateway } from './s3.js';
import { label, versions, type ServerName } from './servers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const resultsDir = join(here, 'results');
const profileDir = join(resultsDir, 'profiles');
const arcaMain = join(root, 'dist', 'cli', 'main.js');

function selectPhases(prefixes: string[]): Phase[] {
  if (prefixes.length === 0) return [...allPhases];
  const chosen = allPhases.filter((p) => prefixes.some((x) => p.id.startsWith(x)));
  if (chosen.length === 0)
    throw new Error(`--phase matches no phase; ids: ${allPhases.map((p) => p.id).join(', ')}`);
  return chosen;
}

/** Newest modification time of the files under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  return t;
}

/** Bytes one round of one server stores: both monolithic and both chunked blobs, the concurrent pushes. */
function roundBytes(o: Options): number {
  return 2 * (o.sizes.small + o.sizes.large) + o.sizes.concurrent * o.sizes.concurrentSize;
}

/** MemAvailable of /proc/meminfo, in bytes. */
function availableMemory(): number {
  const kb = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

/** What must be there before anything starts; warnings for what is merely suspicious. */
function preflight(o: Options, phases: Phase[], workDir: string): void {
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (o.storage === 's3') {
    for (const cmd of ['radosgw', 'ceph-mon', 'ceph-osd', 'openssl'])
      if (!has(cmd)) throw new Error(`${cmd} is not installed (Debian packages ceph-mon ceph-osd radosgw)`);
    // Objects live in the gateway's RAM; an upload's bytes exist twice until its commit has copied them.
    const need = 2 * roundBytes(o) + 2 ** 30;
    if (availableMemory() < need)
      throw new Error(
        `${fmt(availableMemory() / 2 ** 30)} GiB of memory available, S3 mode needs about ${fmt(need / 2 ** 30)} GiB`,
      );
  }
  if (o.servers.includes('registry2') && !has('docker-registry'))
    throw new Error('docker-registry is not installed (Debian package docker-registry)');
  if (phases.some((p) => p.id === 'manifest-put' || p.id === 'manifest-get') && !has('wrk'))
    throw new Error('wrk is not installed (Debian package wrk)');
  if (o.servers.includes('arca')) {
    if (!existsSync(arcaMain)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
    if (newest(join(root, 'src')) > statSync(arcaMain).mtimeMs)
      console.warn('warning: src/ has changed since the last build; Arca runs from dist/ (`npm run build`)');
  }
  if (o.profile && !o.servers.includes('arca')) console.warn('warning: --profile applies to Arca only');
  const storage = storageOf(workDir);
  if (storage.fsType === 'tmpfs') console.warn('warning: the data directory is on tmpfs, not a disk');
  // The biggest round (on the filesystem), with slack.
  const need = roundBytes(o) / 2 ** 30 + 1;
  if (o.storage === 'filesystem' && storage.freeGiB < need)
    throw new Error(`${fmt(storage.freeGiB)} GiB free for the data, a round needs about ${fmt(need)} GiB`);
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (o.help) {
    console.log(`${usage}\n\nphases: ${allPhases.map((p) => p.id).join(', ')}`);
    return 0;
  }
  const phases = selectPhases(o.phases);
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  // Both servers' data, on the repository's disk (gitignored); one directory per run.
  const workDir = join(here, '.work', `${stamp}-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  mkdirSync(resultsDir, { recursive: true });
  if (o.profile) mkdirSync(profileDir, { recursive: true });
  preflight(o, phases, workDir);

  console.log(
    `bench: ${o.quick ? 'quick' : 'full'} run, ${o.rounds} round(s) of ${o.servers.map((s) => label[s]).join(', ')}` +
      ` on ${o.storage === 's3' ? 'S3 (Ceph RGW)' : 'the filesystem'}; phases: ${phases.map((p) => p.id).join(', ')}`,
  );
  const machine = await measureMachine(workDir, o.quick ? 64 * MiB : 1024 * MiB);
  console.log(
    `machine: ${machine.cores} × ${machine.cpu}, ${fmt(machine.memoryGiB)} GiB; data on ${machine.storage.fsType} ` +
      `(${machine.storage.device}); sha256 ${fmt(machine.sha256MiBps)} MiB/s, disk write ${fmt(machine.diskWriteMiBps)} MiB/s, ` +
      `loopback HTTP ${fmt(machine.loopbackMiBps)} MiB/s`,
  );

  let gateway: BenchGateway | undefined;
  if (o.storage === 's3') {
    gateway = await BenchGateway.start(Math.max(16 * 2 ** 30, 2 * roundBytes(o) + 2 ** 30));
    console.log(
      `S3: Ceph RGW at ${gateway.endpoint} (TLS, memstore), started in ${fmt(gateway.startMs / 1000)} s`,
    );
  }

  const records: PhaseRecord[] = [];
  const failures: string[] = [];
  const profiles: string[] = [];
  try {
    for (let round = 1; round <= o.rounds; round++) {
      for (const name of o.servers) {
        const out = await runRound(name, round, phases, o, {
          workDir,
          arcaMain,
          profileDir: o.profile && name === 'arca' ? profileDir : undefined,
          profileName: `arca-round${round}-${stamp}.cpuprofile`,
          gateway,
        });
        records.push(...out.records);
        failures.push(...out.failures);
        if (out.profile) profiles.push(relative(root, out.profile));
      }
    }
  } finally {
    await gateway?.stop();
  }

  const counted = (s: ServerName) => new Set(records.filter((r) => r.server === s).map((r) => r.round)).size;
  console.log(
    `\nMedians of ${o.servers.map((s) => `${counted(s)} round(s) of ${label[s]}`).join(' and ')}, interleaved. ` +
      `Ratio = ${label.arca}/${label.registry2}: above 1 is better for Arca where higher is better, below 1 where lower is better.\n`,
  );
  console.log(`${resultsTable(records)}\n`);
  console.log(`Server CPU and peak RSS per phase (medians; whole process tree; lower is better):\n`);
  console.log(`${resourceTable(records)}\n`);
  console.log(`${machineTable(machine)}\n`);

  const file = join(resultsDir, `${stamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        started,
        finished: new Date(),
        mode: o.quick ? 'quick' : 'full',
        options: {
          storage: o.storage,
          rounds: o.rounds,
          servers: o.servers,
          phases: phases.map((p) => p.id),
          profile: o.profile,
        },
        sizes: o.sizes,
        versions: versions(arcaMain),
        machine,
        summary: summary(records),
        records,
        profiles,
        failures,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`all rounds: ${relative(process.cwd(), file)}`);
  if (profiles.length > 0) console.log(`CPU profiles:\n  ${profiles.join('\n  ')}`);
  rmSync(workDir, { recursive: true, force: true });
  if (failures.length > 0) {
    console.error(`\n${failures.length} error(s):\n  ${failures.join('\n  ')}`);
    return 1;
  }
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    console.error(`bench: ${signal}, stopping`);
    process.exit(130); // the exit hook in servers.ts kills the servers
  });

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(2);
  },
);
