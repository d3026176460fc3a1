import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobHandler } from './job-handlers.js';

/** The kind of the marking job: a job that proves which process ran which job, and when it ended. */
export const markKind = 'test.mark';

/**
 * Waits `ms` (abortable), then appends `<n> <pid>` to `<dir>/marks.log`. Registered only when
 * `ARCA_TEST_JOBS_DIR` names the directory: the test suites use it to check that jobs shared by
 * processes run once each and survive a `kill -9`.
 */
export function markJobHandler(dir: string): JobHandler<{ n: number; ms?: number }> {
  return async (job, signal) => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, job.payload.ms ?? 0);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      });
    });
    await appendFile(join(dir, 'marks.log'), `${job.payload.n} ${process.pid}\n`);
  };
}
