import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type MetadataDb } from '../../src/db/index.js';
import { JobQueue, markKind } from '../../src/jobs/index.js';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { dialects } from '../helpers/dialects.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const jobsConfig = { jobs: { pollinterval: '100ms', lease: '2s', backoff: { base: '200ms', max: '1s' } } };

describe('jobs: real servers share the job table', { skip: !dialects().includes('postgres') }, () => {
  let marks: TempDir;
  let a: RunningArca | undefined;
  let b: RunningArca | undefined;
  let meta: MetadataDb;
  let queue: JobQueue;
  const lines = () => {
    const file = join(marks.path, 'marks.log');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  };

  before(async () => {
    marks = makeTempDir('arca-marks-');
    a = await startArca({ dialect: 'postgres', config: jobsConfig, env: { ARCA_TEST_JOBS_DIR: marks.path } });
    b = await startArca({
      dialect: 'postgres',
      databaseUrl: a.databaseUrl,
      config: jobsConfig,
      env: { ARCA_TEST_JOBS_DIR: marks.path },
    });
    meta = await openDatabase(a.databaseUrl);
    queue = new JobQueue(meta, { maxAttempts: 5 });
  });

  after(async () => {
    await meta?.close();
    await b?.stop({ keep: true });
    await a?.stop();
    await marks?.cleanup();
  });

  test('two server processes on one PostgreSQL: 200 queued jobs are each done exactly once', async () => {
    for (let n = 0; n < 200; n++) await queue.enqueue(meta.db, markKind, { n, ms: 20 });
    await until('200 marks', () => lines().length >= 200);
    await new Promise((r) => setTimeout(r, 1_000));
    const done = lines().map((l) => l.split(' '));
    assert.equal(done.length, 200, 'no job ran twice');
    assert.deepEqual(
      [...new Set(done.map(([n]) => Number(n)))].sort((x, y) => x - y),
      Array.from({ length: 200 }, (_, i) => i),
    );
    const pids = new Set(done.map(([, pid]) => pid));
    assert.equal(pids.size, 2, 'both processes took a share');
    assert.equal((await queue.list({ kind: markKind, state: 'done', n: 1000 })).length, 200);
  });

  test('a server killed (kill -9) in the middle of a job finishes it after the restart', async () => {
    await b!.stop({ keep: true });
    b = undefined;
    const before = lines().length;
    const id = await queue.enqueue(meta.db, markKind, { n: 1000, ms: 3_000 });
    await until('the job to be running', async () => (await queue.get(id)).state === 'running');
    a!.kill('SIGKILL');
    a = await a!.restart();
    await until('the job to be done', async () => (await queue.get(id)).state === 'done');
    const job = await queue.get(id);
    assert.equal(job.attempts, 2, 'claimed again once the lease of the killed process expired');
    assert.deepEqual(lines().slice(before), [`1000 ${a.pid}`]);
  });
});

describe(
  'jobs: copy jobs of replication shared by two servers',
  { skip: !dialects().includes('postgres') },
  () => {
    let east: TempDir;
    let west: TempDir;
    let a: RunningArca | undefined;
    let b: RunningArca | undefined;
    const config = () => ({
      ...jobsConfig,
      log: { level: 'info', accesslog: { disabled: true } },
      gc: { enabled: false },
      locations: {
        east: { storage: { filesystem: { rootdirectory: east.path } } },
        west: { storage: { filesystem: { rootdirectory: west.path } } },
      },
    });
    /** The copies a server logged: `<digest> <location>` each. */
    const copies = (arca: RunningArca) =>
      arca
        .logs()
        .split('\n')
        .filter((l) => l.includes('replication: copied'))
        .map((l) => JSON.parse(l) as { digest: string; location: string })
        .map((c) => `${c.digest} ${c.location}`);

    before(async () => {
      east = makeTempDir('arca-jobs-east-');
      west = makeTempDir('arca-jobs-west-');
      // A busy machine starts servers slowly: a minute each.
      const slow = { startTimeoutMs: 60_000 };
      a = await startArca({ dialect: 'postgres', config: config(), ...slow });
      b = await startArca({ dialect: 'postgres', databaseUrl: a.databaseUrl, config: config(), ...slow });
    });

    after(async () => {
      await b?.stop({ keep: true });
      await a?.stop();
      await east?.cleanup();
      await west?.cleanup();
    });

    test('two server processes on one PostgreSQL: 200 queued copy jobs are each done exactly once', async () => {
      const created = await fetch(`${a!.url}/api/v1/registries`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'copies', primary_location: 'east', locations: ['west'] }),
      });
      assert.equal(created.status, 201, await created.text());
      const digests = new Set<string>();
      for (let n = 0; n < 200; n++) {
        const data = Buffer.from(`copy job ${n} `.repeat(100));
        const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
        const res = await fetch(`${a!.url}/v2/copies/blobs/blobs/uploads/?digest=${digest}`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: new Uint8Array(data),
        });
        assert.equal(res.status, 201, await res.text());
        digests.add(digest);
      }
      const all = () => [...copies(a!), ...copies(b!)];
      await until('200 copies', () => all().length >= 200);
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(all().length, 200, 'no copy was made twice');
      assert.deepEqual(new Set(all()), new Set([...digests].map((d) => `${d} west`)));
      assert.ok(copies(a!).length > 0 && copies(b!).length > 0, 'both processes took a share');
      for (const digest of digests) {
        const hex = digest.slice('sha256:'.length);
        assert.ok(existsSync(join(west.path, 'blobs', 'sha256', hex.slice(0, 2), hex)), digest);
      }
      const res = await fetch(`${a!.url}/api/v1/jobs?kind=oci.replicate&n=1000`);
      const jobs = ((await res.json()) as { items: { state: string; attempts: number }[] }).items;
      assert.equal(jobs.length, 200);
      assert.ok(
        jobs.every((j) => j.state === 'done' && j.attempts === 1),
        'each claimed once',
      );
    });
  },
);
