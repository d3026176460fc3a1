import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { MetadataDb } from '../../src/db/index.js';
import { JobFailed, JobHandlers, JobQueue, JobWorker, type JobHandler } from '../../src/jobs/index.js';
import { dialects } from '../helpers/dialects.js';
import { freshDatabase } from '../helpers/catalog-db.js';

const log = pino({ level: 'silent' });
const settings = {
  concurrency: 4,
  pollInterval: 50,
  lease: 1_000,
  backoff: { base: 20, max: 200 },
  retention: 60_000,
};

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function worker(queue: JobQueue, kind: string, handler: JobHandler, over: Partial<typeof settings> = {}) {
  const handlers = new JobHandlers();
  handlers.register(kind, handler);
  return new JobWorker(queue, handlers, { ...settings, ...over }, log);
}

for (const dialect of dialects()) {
  describe(`jobs: the durable job table (${dialect})`, () => {
    let meta: MetadataDb;
    let drop: () => Promise<void>;
    let queue: JobQueue;
    before(async () => {
      ({ meta, drop } = await freshDatabase(dialect));
      queue = new JobQueue(meta, { maxAttempts: 3 });
    });
    after(async () => {
      await drop?.();
    });

    test('a job enqueued in a transaction exists only if the transaction commits', async () => {
      await assert.rejects(
        meta.db.transaction().execute(async (tx) => {
          await queue.enqueue(tx, 'tx.test', { n: 1 });
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      assert.equal((await queue.list({ kind: 'tx.test' })).length, 0);
      const id = await meta.db.transaction().execute((tx) => queue.enqueue(tx, 'tx.test', { n: 2 }));
      const job = await queue.get(id);
      assert.equal(job.state, 'queued');
      assert.deepEqual(job.payload, { n: 2 });
      assert.equal(job.attempts, 0);
    });

    test('two workers share 200 jobs and run each exactly once', async () => {
      const runs = new Map<number, number>();
      const handler: JobHandler = async (job) => {
        const n = (job.payload as { n: number }).n;
        runs.set(n, (runs.get(n) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 2));
      };
      for (let n = 0; n < 200; n++) await queue.enqueue(meta.db, 'share.test', { n });
      const a = worker(queue, 'share.test', handler);
      const b = worker(queue, 'share.test', handler);
      a.start();
      b.start();
      try {
        await until(
          '200 jobs done',
          async () => (await queue.list({ kind: 'share.test', state: 'done', n: 1000 })).length === 200,
        );
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
      assert.equal(runs.size, 200);
      assert.ok(
        [...runs.values()].every((c) => c === 1),
        'no job ran twice',
      );
    });

    test('a failing job is retried with backoff, fails for good after max attempts, and runs again on retry', async () => {
      let calls = 0;
      let succeed = false;
      const w = worker(queue, 'flaky.test', async () => {
        calls++;
        if (!succeed) throw new Error(`attempt ${calls} failed`);
      });
      const id = await queue.enqueue(meta.db, 'flaky.test', {});
      w.start();
      try {
        await until('the job to fail', async () => (await queue.get(id)).state === 'failed');
        const failed = await queue.get(id);
        assert.equal(failed.attempts, 3);
        assert.equal(calls, 3);
        assert.match(failed.last_error ?? '', /attempt 3 failed/);
        await assert.rejects(queue.retry('no-such-job'), { code: 'NOT_FOUND' });
        succeed = true;
        const requeued = await queue.retry(id);
        assert.equal(requeued.attempts, 0);
        await until('the retried job to finish', async () => (await queue.get(id)).state === 'done');
        await assert.rejects(
          queue.retry(id).then(() => queue.retry(id)),
          { code: 'CONFLICT' },
        );
      } finally {
        await w.stop();
      }
    });

    test('a job that cannot succeed fails at once', async () => {
      const w = worker(queue, 'hopeless.test', async () => {
        throw new JobFailed('never');
      });
      const id = await queue.enqueue(meta.db, 'hopeless.test', {});
      w.start();
      try {
        await until('the job to fail', async () => (await queue.get(id)).state === 'failed');
        assert.equal((await queue.get(id)).attempts, 1);
      } finally {
        await w.stop();
      }
    });

    test('a job whose worker died is claimed again once its lease expires', async () => {
      const id = await queue.enqueue(meta.db, 'lease.test', {});
      // A worker that takes the job and never finishes it (as if killed): no renewal, no outcome.
      let started = 0;
      const dead = worker(
        queue,
        'lease.test',
        () => {
          started++;
          return new Promise(() => {});
        },
        { lease: 300 },
      );
      dead.start();
      await until('the first claim', async () => started === 1);
      const held = await queue.get(id);
      assert.equal(held.state, 'running');
      assert.ok(held.lease_owner);
      // Its process is gone (kill -9): nobody renews the lease, which runs out.
      await meta.db
        .updateTable('jobs')
        .set({ lease_until: Date.now() - 1, lease_owner: 'gone' })
        .where('id', '=', id)
        .execute();
      let second = 0;
      const alive = worker(queue, 'lease.test', async () => {
        second++;
      });
      alive.start();
      try {
        await until('the job to finish elsewhere', async () => (await queue.get(id)).state === 'done');
        assert.equal(second, 1);
        assert.equal((await queue.get(id)).attempts, 2);
      } finally {
        await alive.stop();
        void dead.stop();
      }
    });

    test('counts and listing', async () => {
      const counts = await queue.counts();
      assert.equal(typeof counts.queued, 'number');
      const page = await queue.list({ n: 2 });
      assert.equal(page.length, 2);
      const next = await queue.list({ n: 2, last: page[1]!.id });
      assert.ok(next.every((j) => !page.some((p) => p.id === j.id)));
      await assert.rejects(queue.list({ state: 'bogus' }), { code: 'REQUEST_INVALID' });
      await assert.rejects(queue.list({ n: 0 }), { code: 'REQUEST_INVALID' });
    });
  });
}
