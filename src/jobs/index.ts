export { JobQueue, type EnqueueOptions } from './job-queue.js';
export { JobWorker, type WorkerSettings } from './job-worker.js';
export { JobHandlers, JobFailed, RetryLater, type ClaimedJob, type JobHandler } from './job-handlers.js';
export { backoffDelay, type Backoff } from './backoff.js';
export { registerJobGauges } from './job-gauges.js';
export type { JobView } from './job-view.js';
export type { JobsTables, JobState } from './tables.js';
export { markJobHandler, markKind } from './mark-job.js';
