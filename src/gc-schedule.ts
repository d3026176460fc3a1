import type { Logger } from 'pino';
import type { ArcaConfig } from './config/index.js';
import type { MetadataDb } from './db/index.js';
import type { JobQueue, JobHandlers } from './jobs/index.js';
import { GarbageCollector, type GcMetrics, type GcReport, type StoreRouter } from './oci/index.js';

/** The job kind of a garbage collection run. */
export const gcKind = 'oci.gc';

/** A run's figures for the log and the job's record. */
export function gcSummary(report: GcReport) {
  return {
    dryRun: report.dryRun,
    manifests: report.manifests.length,
    blobs: report.blobs.length,
    bytes: report.bytes,
    stagingObjects: report.stagingObjects.length,
    deferred: report.deferred,
  };
}

/**
 * Garbage collection as durable jobs: one `oci.gc` job runs a collection and queues the next one
 * `gc.interval` later, so the schedule survives restarts and, with several servers on one database,
 * one of them runs each collection. A second chain (two servers starting at once) dies out: a run
 * queues the next only when none is queued already.
 */
export function registerGc(deps: {
  config: ArcaConfig;
  meta: MetadataDb;
  stores: StoreRouter;
  queue: JobQueue;
  handlers: JobHandlers;
  metrics: GcMetrics;
  log: Logger;
}): { collector: GarbageCollector; start(): Promise<void> } {
  const { config, meta, queue, log } = deps;
  const collector = new GarbageCollector(
    meta,
    deps.stores,
    { gracePeriodMs: config.gc.graceperiod },
    deps.metrics,
  );
  const scheduleNext = async (runAt: number) => {
    if ((await queue.list({ state: 'queued', kind: gcKind, n: 1 })).length > 0) return;
    await queue.enqueue(meta.db, gcKind, {}, { runAt, maxAttempts: 3 });
  };
  deps.handlers.register(gcKind, async () => {
    try {
      const report = await collector.run();
      log.info(gcSummary(report), 'garbage collection done');
    } finally {
      if (config.gc.enabled) await scheduleNext(Date.now() + config.gc.interval);
    }
  });
  return {
    collector,
    async start() {
      if (!config.gc.enabled) return;
      if ((await queue.list({ state: 'running', kind: gcKind, n: 1 })).length > 0) return;
      await scheduleNext(Date.now() + config.gc.interval);
    },
  };
}
