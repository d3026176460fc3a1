/**
 * `arca model pull` benchmark: a 4 GiB model of 6 files (config.json and 5 weight shards;
 * BENCH_PULL_MIB, BENCH_PULL_SHARDS) pushed with `arca model push` to one Arca process (SQLite,
 * filesystem storage), then pulled with `arca model pull` into a fresh directory on the same disk
 * (BENCH_PULL_ROUNDS times), beside the same files fetched by curl from the asset API and the
 * machine's loopback limit (a bare Node server to curl, as the main bench measures it). Goal: the
 * pull at ≥ 80 % of the loopback limit. BENCH_PULL_PROFILE=<dir> writes a CPU profile of each pull.
 *
 *   npm run build && node --import tsx bench/asset-pull.ts
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startArca } from '../test/helpers/arca.js';
import { runArca } from '../test/helpers/arca-cli.js';
import { exec } from '../test/helpers/exec.js';
import { makeTempDir } from '../test/helpers/tmp.js';
import { MiB } from './content.js';
import { measureMachine } from './machine.js';
import { pushBenchModel } from './model-fixture.js';
import { countWithCurl } from './pull-client.js';
import { fmt } from './report.js';

const totalMiB = Number(process.env.BENCH_PULL_MIB ?? 4096);
const shards = Number(process.env.BENCH_PULL_SHARDS ?? 5);
const rounds = Number(process.env.BENCH_PULL_ROUNDS ?? 3);
/** A directory for a CPU profile of each `arca model pull` (the client's side). */
const profileDir = process.env.BENCH_PULL_PROFILE;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = makeTempDir('arca-bench-pull-');
const arca = await startArca({});
try {
  const pushStarted = performance.now();
  const { files, digests, bytes } = await pushBenchModel(arca, work.path, { totalMiB, shards, name: 'big' });
  const pushSeconds = (performance.now() - pushStarted) / 1000;
  console.log(`push: ${fmt(bytes / MiB)} MiB in ${fmt(pushSeconds)} s (writing the files included)`);

  const rates: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const target = join(work.path, `pulled-${round}`);
    const t0 = performance.now();
    const pull = await runArca(
      ['model', 'pull', 'arca://registries/default/models/big/versions/1', target, '--output', 'json'],
      {
        env: {
          ARCA_SERVER: arca.url,
          XDG_CACHE_HOME: join(work.path, 'xdg'),
        },
        nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
        timeoutMs: 600_000,
      },
    );
    const seconds = (performance.now() - t0) / 1000;
    if (pull.code !== 0) throw new Error(`pull failed: ${pull.stderr}`);
    for (const [path, size] of Object.entries(files)) {
      if (statSync(join(target, path)).size !== size) throw new Error(`${path}: wrong size`);
    }
    rates.push(bytes / MiB / seconds);
    console.log(
      `round ${round}: ${fmt(bytes / MiB)} MiB in ${fmt(seconds)} s = ${fmt(rates.at(-1)!)} MiB/s (command wall time)`,
    );
    rmSync(target, { recursive: true, force: true });
  }
  // The same files from the asset API with curl, one after another: what the server sends without the CLI.
  const t1 = performance.now();
  for (const [path, size] of Object.entries(files)) {
    const got = await countWithCurl(
      `${arca.url}/api/v1/registries/default/models/big/versions/1/files/${path}`,
    );
    if (got.bytes !== size) throw new Error(`${path}: curl got ${got.bytes} bytes`);
  }
  const curlRate = bytes / MiB / ((performance.now() - t1) / 1000);
  // And into files on this disk, each then hashed by sha256sum: a verified download without Arca's client.
  const saved = join(work.path, 'curl');
  mkdirSync(saved);
  const t2 = performance.now();
  for (const [path, size] of Object.entries(files)) {
    const url = `${arca.url}/api/v1/registries/default/models/big/versions/1/files/${path}`;
    await exec(
      'curl',
      ['--silent', '--show-error', '--fail', '--http1.1', '--output', join(saved, path), url],
      {
        check: true,
      },
    );
    const sum = await exec('sha256sum', [join(saved, path)], { check: true });
    if (`sha256:${sum.stdout.split(' ')[0]}` !== digests[path] || statSync(join(saved, path)).size !== size)
      throw new Error(`${path}: curl saved other bytes`);
  }
  const savedRate = bytes / MiB / ((performance.now() - t2) / 1000);
  rmSync(saved, { recursive: true, force: true });
  const machine = await measureMachine(work.path, 1024 * MiB);
  const pullRate = median(rates);
  const loopback = machine.loopbackMiBps;
  console.log(`\n| what | MiB/s | × loopback |`);
  console.log(`|---|---:|---:|`);
  console.log(
    `| arca model pull, ${Object.keys(files).length} files, ${fmt(bytes / MiB)} MiB (median of ${rounds}) | ${fmt(pullRate)} | ${fmt(pullRate / loopback)} |`,
  );
  console.log(
    `| the same files, GET …/files/<path> with curl | ${fmt(curlRate)} | ${fmt(curlRate / loopback)} |`,
  );
  console.log(
    `| the same files with curl into files, each then hashed by sha256sum | ${fmt(savedRate)} | ${fmt(savedRate / loopback)} |`,
  );
  console.log(`| loopback HTTP (bare Node server → curl, 1 GiB) | ${fmt(loopback)} | 1 |`);
  console.log(`| sha256 in Node (1 GiB) | ${fmt(machine.sha256MiBps)} | |`);
  console.log(`| disk write (1 GiB, fsync at the end) | ${fmt(machine.diskWriteMiBps)} | |`);
  console.log(`\nratio pull / loopback: ${fmt((100 * pullRate) / loopback)} % (goal ≥ 80 %)`);
} finally {
  await arca.stop();
  await work.cleanup();
}
