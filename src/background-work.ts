import type { Logger } from 'pino';
import type { AssetObserver } from './assets/index.js';
import type { ArcaConfig } from './config/index.js';
import type { CredentialService } from './credentials/index.js';
import type { MetadataDb } from './db/index.js';
import { JobHandlers, JobQueue, JobWorker, markJobHandler, markKind } from './jobs/index.js';
import type { Outbound } from './net/index.js';
import { Notifier, WebhookService, deliveryHandler, deliveryKind, sourceOf } from './notifications/index.js';
import { replicateKind, type Distribution, type ReplicationJob, type Replicator } from './oci/index.js';
import type { RegistryLocator } from './registries/index.js';

/** The job table, the kinds of jobs this server runs, and the rooms that enqueue them. */
export interface BackgroundWork {
  queue: JobQueue;
  /** Where rooms with background work (replication, GC) register their kinds before `start`. */
  handlers: JobHandlers;
  webhooks: WebhookService;
  /** Copies to registries' additional locations (queued with each link; back-fills, status). */
  replicator: Replicator;
  /** Start the worker (unless `jobs.workers` is false); `url` is the address bound. */
  start(url: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Wiring of the durable jobs and of notifications: the notifier observes every manifest write and
 * pull and enqueues deliveries; the worker claims them (and every other registered kind).
 */
export function openBackgroundWork(deps: {
  config: ArcaConfig;
  meta: MetadataDb;
  distribution: Distribution;
  credentials: CredentialService;
  outbound: Outbound;
  locator: RegistryLocator;
  /** The core's job queue and replicator (copies owed by every link, queued through that queue). */
  queue: JobQueue;
  replicator: Replicator;
  /** The assets room's observers (versions published become events). */
  assets?: { add(observer: AssetObserver): void };
  log: Logger;
}): BackgroundWork {
  const { config, meta, distribution, credentials, outbound, log } = deps;
  const jobs = config.jobs;
  const queue = deps.queue;
  const handlers = new JobHandlers();
  const webhooks = new WebhookService(meta.db, credentials, outbound);
  credentials.addResealer((keyId) => webhooks.resealAll(keyId));
  let baseUrl = config.http.host ?? '';
  let port: number | undefined;
  const endpoints = config.notifications.endpoints;
  const notifier = new Notifier({
    queue,
    meta,
    endpoints,
    includeReferences: config.notifications.events.includereferences,
    registryOf: (repository) => {
      const first = repository.split('/', 1)[0]!;
      return repository.includes('/') ? (deps.locator.locate(first)?.registry ?? 'default') : 'default';
    },
    baseUrl: () => baseUrl,
    source: () => sourceOf(port),
  });
  distribution.manifests.observe(notifier);
  distribution.blobs.observe(notifier.blobObserver());
  deps.assets?.add(notifier.assetObserver());
  // Replication (the core's replicator, observing every link): its copy jobs run here.
  const replicator = deps.replicator;
  replicator.observe(notifier.replicationObserver());
  handlers.register<ReplicationJob>(replicateKind, async (job, signal) => {
    const method = await replicator.run(job.payload, job.attempt >= job.maxAttempts, signal);
    if (method) log.info({ ...job.payload, method }, 'replication: copied');
  });
  handlers.register(
    deliveryKind,
    deliveryHandler({ outbound, endpoints, webhooks, maxBackoff: jobs.backoff.max }),
  );
  // The test suites' marking job (see mark-job.ts), only when they name its directory.
  const marks = process.env.ARCA_TEST_JOBS_DIR;
  if (marks) handlers.register(markKind, markJobHandler(marks));
  const worker = new JobWorker(
    queue,
    handlers,
    {
      concurrency: jobs.concurrency,
      pollInterval: jobs.pollinterval,
      lease: jobs.lease,
      backoff: jobs.backoff,
      retention: jobs.retention,
    },
    log,
  );
  return {
    queue,
    handlers,
    webhooks,
    replicator,
    async start(url) {
      baseUrl = config.http.host ?? url;
      port = Number(new URL(url).port) || undefined;
      // Secrets sealed before a master key change (ARCA_MASTER_KEY_PREVIOUS) are sealed anew.
      const resealed = await webhooks.resealAll(credentials.currentKeyId);
      if (resealed > 0) log.info({ resealed }, 'webhook secrets re-sealed with the current master key');
      if (jobs.workers) worker.start();
    },
    stop: () => worker.stop(),
  };
}
