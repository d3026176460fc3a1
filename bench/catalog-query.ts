/**
 * Catalog query benchmark: inserts 100,000 entries (BENCH_ENTRIES) into a fresh database of each
 * dialect (ARCA_TEST_DIALECTS to restrict; PostgreSQL at ARCA_TEST_POSTGRES_URL) and measures the
 * catalog's query engine (SQL + matcher + JSON + projection, no HTTP) for typical filters: p50/p95.
 *
 *   node --import tsx bench/catalog-query.ts
 */
import { join } from 'node:path';
import { sql } from 'kysely';
import { CatalogService, parseQuery, type QueryInput } from '../src/catalog/index.js';
import { openDatabase, type MetadataDb } from '../src/db/index.js';
import { dialects, type Dialect } from '../test/helpers/dialects.js';
import { freshDatabase } from '../test/helpers/catalog-db.js';
import { makeTempDir } from '../test/helpers/tmp.js';

const total = Number(process.env.BENCH_ENTRIES ?? 100_000);
const runs = Number(process.env.BENCH_RUNS ?? 200);

/** A small deterministic PRNG (mulberry32), so every run loads the same catalog. */
function random(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tagVocabulary = [
  'ai',
  'internal',
  'training',
  'inference',
  'fast-pull',
  'gpu',
  'cpu',
  'edge',
  'public',
  'private',
  ...Array.from({ length: 30 }, (_, i) => `topic-${i}`),
];
const regions = [
  'us-west-2',
  'us-east-1',
  'eu-west-1',
  'eu-central-1',
  'ap-south-1',
  'ap-northeast-1',
  'sa-east-1',
  'af-south-1',
];
const storageTypes = ['s3', 'object-store', 'fs', 'unknown'];

function entry(i: number, next: () => number) {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const tags = new Set<string>();
  // 'ai' on ~30 %, 'internal' on ~20 % of entries, then 2-5 more.
  if (next() < 0.3) tags.add('ai');
  if (next() < 0.2) tags.add('internal');
  const more = 2 + Math.floor(next() * 4);
  while (tags.size < more) tags.add(pick(tagVocabulary.slice(2)));
  if (i % 1000 === 0) tags.add('rare');
  const host = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:5000`;
  return {
    container_registry_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    container_registry_name: `registry-${String(i).padStart(6, '0')}`,
    container_registry_metadata: {
      environment: pick(['production', 'staging', 'development']),
      owner: `team-${Math.floor(next() * 40)}`,
      region: pick(regions),
      replicas: 1 + Math.floor(next() * 10),
      labels: [pick(['a100', 'h100', 'l4', 't4']), pick(['x86', 'arm'])],
    },
    container_registry_tags: [...tags],
    container_registry_public_url: `http://${host}`,
    container_registry_image_prefix: host,
    container_registry_config: {
      auth_required: next() < 0.5,
      mirror_enabled: next() < 0.2,
      max_layer_size_mb: 100 * (1 + Math.floor(next() * 10)),
    },
    container_registry_storage_info: {
      storage_type: pick(storageTypes),
      storage_size: next() < 0.5 ? -1 : Math.floor(next() * 1_000_000),
      memory_size: pick([-1, 4096, 8192, 16384]),
      registry_type: next() < 0.3 ? 'aios' : 'external',
    },
  };
}

const queries: [string, QueryInput][] = [
  [
    'reference example: tags $in [ai, internal], limit 100',
    { filter: { container_registry_tags: { $in: ['ai', 'internal'] } }, limit: 100 },
  ],
  [
    'tags $in, sorted by name, limit 100',
    {
      filter: { container_registry_tags: { $in: ['ai', 'internal'] } },
      sort: 'container_registry_name',
      limit: 100,
    },
  ],
  [
    'registry_type + storage_type + tags $all + name range, sorted desc, limit 50',
    {
      filter: {
        'container_registry_storage_info.registry_type': 'aios',
        'container_registry_storage_info.storage_type': 's3',
        container_registry_tags: { $all: ['gpu', 'fast-pull'] },
        container_registry_name: { $gte: 'registry-050000' },
      },
      sort: '-container_registry_name',
      limit: 50,
    },
  ],
  ['a rare tag (0.1 % of entries), limit 100', { filter: { container_registry_tags: 'rare' }, limit: 100 }],
  ['name equals (point lookup)', { filter: { container_registry_name: 'registry-042424' } }],
  [
    'tags $nin + $or on storage_type, skip 5000 limit 100',
    {
      filter: {
        container_registry_tags: { $nin: ['ai'] },
        $or: [
          { 'container_registry_storage_info.storage_type': 'fs' },
          { 'container_registry_storage_info.storage_type': 's3' },
        ],
      },
      skip: 5000,
      limit: 100,
    },
  ],
  [
    'metadata.region (matcher) + tag (SQL), limit 100',
    {
      filter: { 'container_registry_metadata.region': 'us-west-2', container_registry_tags: 'ai' },
      limit: 100,
    },
  ],
  [
    '$regex on name + registry_type, limit 100',
    {
      filter: {
        container_registry_name: { $regex: '7$' },
        'container_registry_storage_info.registry_type': 'external',
      },
      limit: 100,
    },
  ],
  [
    '$elemMatch on metadata labels + tag, limit 20',
    {
      filter: {
        container_registry_tags: 'gpu',
        'container_registry_metadata.labels': { $elemMatch: { $in: ['h100'] } },
      },
      limit: 20,
    },
  ],
  [
    'metadata.owner only (full scan in the matcher, all ~2,500 matches)',
    { filter: { 'container_registry_metadata.owner': 'team-7' } },
  ],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function bench(dialect: Dialect): Promise<void> {
  let meta: MetadataDb;
  let cleanup: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = makeTempDir('arca-bench-');
    meta = await openDatabase(`sqlite:${join(dir.path, 'arca.db')}`);
    cleanup = async () => {
      await meta.close();
      await dir.cleanup();
    };
  } else {
    const fresh = await freshDatabase('postgres');
    meta = fresh.meta;
    cleanup = fresh.drop;
  }
  try {
    const catalog = new CatalogService(meta, { healthcheck: { timeout: 5000, history: 86_400_000 } });
    const next = random(42);
    const started = performance.now();
    for (let i = 0; i < total; i += 5000) {
      await catalog.createMany(
        Array.from({ length: Math.min(5000, total - i) }, (_, k) => entry(i + k, next)),
      );
    }
    const loadSeconds = (performance.now() - started) / 1000;
    // What autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) does after a bulk load.
    await sql`analyze`.execute(meta.db);
    console.log(
      `\n${dialect}: ${total} entries loaded in ${loadSeconds.toFixed(1)} s (${Math.round(total / loadSeconds)}/s)`,
    );
    console.log(
      `${'query'.padEnd(78)} ${'rows'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
    );
    for (const [name, input] of queries) {
      const query = parseQuery(input);
      const iterations = name.includes('full scan') ? Math.min(runs, 20) : runs;
      let rows = 0;
      for (let i = 0; i < 10; i++) rows = (await catalog.query(query)).items.length;
      const times: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const t = performance.now();
        await catalog.query(query);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(
        `${name.padEnd(78)} ${String(rows).padStart(6)} ${percentile(times, 50).toFixed(2).padStart(8)} ${percentile(times, 95).toFixed(2).padStart(8)} ${times.at(-1)!.toFixed(2).padStart(8)}`,
      );
    }
  } finally {
    await cleanup();
  }
}

for (const dialect of dialects()) await bench(dialect);
