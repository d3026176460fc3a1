/**
 * Asset list benchmark: 100,000 versions (BENCH_ENTRIES) in a fresh database of each dialect
 * (ARCA_TEST_DIALECTS to restrict; PostgreSQL at ARCA_TEST_POSTGRES_URL), then typical filtered,
 * sorted, paged lists (no HTTP): p50/p95 per dialect. Goal: p95 < 50 ms.
 *
 *   node --import tsx bench/asset-list.ts
 */
import { dialects } from '../test/helpers/dialects.js';
import { freshDatabase } from '../test/helpers/catalog-db.js';
import { fillAssets, percentile, timeAssetLists } from '../test/helpers/asset-bulk.js';

const total = Number(process.env.BENCH_ENTRIES ?? 100_000);
const rounds = Number(process.env.BENCH_RUNS ?? 50);

for (const dialect of dialects()) {
  const { meta, drop } = await freshDatabase(dialect);
  try {
    const started = performance.now();
    await fillAssets(meta, total);
    const loaded = performance.now() - started;
    const byQuery = new Map<string, number[]>();
    const times = await timeAssetLists(meta, rounds, byQuery);
    console.log(
      `${dialect}: ${total} versions (loaded in ${(loaded / 1000).toFixed(1)} s); ${times.length} lists: p50 ${percentile(times, 0.5).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms`,
    );
    for (const [q, own] of byQuery) {
      const sorted = [...own].sort((a, b) => a - b);
      console.log(
        `  ${q}: p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p95 ${percentile(sorted, 0.95).toFixed(1)} ms`,
      );
    }
  } finally {
    await drop();
  }
}
