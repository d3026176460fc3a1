/**
 * Hugging Face Hub API benchmark: a 2 GiB model of several files (BENCH_HF_MIB, BENCH_HF_FILES),
 * pushed with `arca model push`, then downloaded with `@huggingface/hub`'s `snapshotDownload` into a
 * fresh cache directory through Arca's /hf endpoint (SQLite, filesystem storage, one Arca process),
 * beside the machine's loopback limit (a bare Node server to curl, as the main bench measures it).
 *
 *   npm run build && node --import tsx bench/hf-snapshot.ts
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotDownload } from '@huggingface/hub';
import { startArca } from '../test/helpers/arca.js';
import { makeTempDir } from '../test/helpers/tmp.js';
import { measureMachine } from './machine.js';
import { pushBenchModel } from './model-fixture.js';
import { countWithCurl } from './pull-client.js';

const MiB = 1024 * 1024;
const totalMiB = Number(process.env.BENCH_HF_MIB ?? 2048);
const fileCount = Number(process.env.BENCH_HF_FILES ?? 8);
const rounds = Number(process.env.BENCH_HF_ROUNDS ?? 3);

const work = makeTempDir('arca-bench-hf-');
const arca = await startArca({});
try {
  const { files, bytes } = await pushBenchModel(arca, work.path, {
    totalMiB,
    shards: fileCount,
    name: 'big',
  });

  const rates: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const cacheDir = join(work.path, `cache-${round}`);
    const t0 = performance.now();
    const snapshot = await snapshotDownload({ repo: 'default/big', hubUrl: `${arca.url}/hf`, cacheDir });
    const seconds = (performance.now() - t0) / 1000;
    for (const [path, size] of Object.entries(files)) {
      if (statSync(join(snapshot, path)).size !== size) throw new Error(`${path}: wrong size`);
    }
    rates.push(bytes / MiB / seconds);
    console.log(
      `round ${round}: ${(bytes / MiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s = ${rates.at(-1)!.toFixed(0)} MiB/s`,
    );
  }
  // The same files through /hf/…/resolve with curl, one after another: what Arca serves without the JS client.
  const t1 = performance.now();
  for (const [path, size] of Object.entries(files)) {
    const got = await countWithCurl(`${arca.url}/hf/default/big/resolve/main/${path}`);
    if (got.bytes !== size) throw new Error(`${path}: curl got ${got.bytes} bytes`);
  }
  const curlRate = bytes / MiB / ((performance.now() - t1) / 1000);
  const machine = await measureMachine(work.path, 1024 * MiB);
  const median = [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
  console.log(
    `| snapshotDownload, ${fileCount + 1} files, ${(bytes / MiB).toFixed(0)} MiB (median of ${rounds}) | ${median.toFixed(0)} MiB/s |`,
  );
  console.log(`| the same files, GET /hf/…/resolve with curl | ${curlRate.toFixed(0)} MiB/s |`);
  console.log(
    `| loopback HTTP (bare Node server → curl, 1 GiB) | ${machine.loopbackMiBps.toFixed(0)} MiB/s |`,
  );
  console.log(`| disk write (1 GiB) | ${machine.diskWriteMiBps.toFixed(0)} MiB/s |`);
} finally {
  await arca.stop();
  await work.cleanup();
}
