import { z } from 'zod';
import { bool, int, str, positiveDuration } from './scalars.js';

/** The durable job table's workers (background work: notifications, replication, GC). */
export const jobsSchema = z
  .strictObject({
    workers: bool.default(true).describe('run jobs in this process; false: only enqueue them'),
    concurrency: int(1).default(4).describe('jobs run at once by this process'),
    pollinterval: positiveDuration.prefault('1s').describe('between claims when there was nothing to do'),
    lease: positiveDuration
      .prefault('60s')
      .describe('how long a claim holds a job (renewed while it runs; a dead worker loses it)'),
    maxattempts: int(1).default(10).describe('attempts before a job fails for good'),
    backoff: z
      .strictObject({
        base: positiveDuration
          .prefault('2s')
          .describe('the wait after the first failure, doubling after each'),
        max: positiveDuration.prefault('10m').describe('the longest wait between attempts'),
      })
      .prefault({}),
    retention: positiveDuration.prefault('168h').describe('done jobs are removed after this long'),
  })
  .prefault({});

/** Online garbage collection: unreferenced content older than the grace period goes, every `interval`. */
export const gcSchema = z
  .strictObject({
    enabled: bool.default(true).describe('run garbage collection as a periodic job'),
    graceperiod: positiveDuration
      .prefault('24h')
      .describe('how long unreferenced content is kept (a push may still reference it)'),
    interval: positiveDuration.prefault('1h').describe('between garbage collection runs'),
  })
  .prefault({});

/** registry:2's `notifications`: endpoints receiving its event envelopes. */
const notificationEndpointSchema = z.strictObject({
  name: str,
  disabled: bool.default(false),
  url: z.url({ protocol: /^https?$/ }),
  headers: z
    .record(z.string(), z.union([z.array(str), str.transform((v) => [v])]))
    .default({})
    .describe('added to every request, as in registry:2 (name: [values])'),
  timeout: positiveDuration.prefault('1s').describe('one delivery, at most'),
  threshold: int(0).default(10).describe('failures in a row before waiting `backoff` between attempts'),
  backoff: positiveDuration.prefault('1s').describe('the wait between attempts after `threshold` failures'),
  ignoredmediatypes: z.array(str).default([]),
  ignore: z
    .strictObject({ mediatypes: z.array(str).default([]), actions: z.array(str).default([]) })
    .prefault({}),
});

export const notificationsSchema = z
  .strictObject({
    events: z.strictObject({ includereferences: bool.default(false) }).prefault({}),
    endpoints: z
      .array(notificationEndpointSchema)
      .default([])
      .superRefine((endpoints, ctx) => {
        const seen = new Set<string>();
        for (const e of endpoints) {
          if (seen.has(e.name))
            ctx.addIssue({ code: 'custom', message: `endpoint name '${e.name}' is used twice` });
          seen.add(e.name);
        }
      }),
  })
  .prefault({});
