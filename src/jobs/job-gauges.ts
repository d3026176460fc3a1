import { Gauge, type Registry } from 'prom-client';
import type { JobQueue } from './job-queue.js';

/**
 * Prometheus gauges of the job table, read when scraped (one grouped query per scrape, shared by
 * the four): jobs queued, running, failed, and the age of the oldest job not yet done.
 */
export function registerJobGauges(registry: Registry, queue: JobQueue): void {
  let pending: Promise<Awaited<ReturnType<JobQueue['counts']>>> | undefined;
  const counts = () => {
    pending ??= queue.counts().finally(() => setTimeout(() => (pending = undefined), 100).unref());
    return pending;
  };
  const gauge = (name: string, help: string, read: (c: Awaited<ReturnType<JobQueue['counts']>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(read(await counts()));
      },
    });
  gauge('arca_jobs_queued', 'Background jobs waiting to run', (c) => c.queued);
  gauge('arca_jobs_running', 'Background jobs held by a worker', (c) => c.running);
  gauge(
    'arca_jobs_failed',
    'Background jobs that failed for good (retry them with arca job retry)',
    (c) => c.failed,
  );
  gauge('arca_jobs_oldest_age_seconds', 'Age of the oldest job not yet done, 0 when none', (c) =>
    c.oldestPendingAt === null ? 0 : Math.max(0, (Date.now() - c.oldestPendingAt) / 1000),
  );
}
