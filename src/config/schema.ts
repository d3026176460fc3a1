import { z } from 'zod';
import { parseDuration } from './duration.js';
import { parseListenAddress } from './listen-address.js';

/** Environment values arrive as strings; these accept both the file's types and their string forms. */
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
const int = (min = 0) => z.coerce.number().int().min(min);
const str = z.preprocess(
  (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v),
  z.string(),
);
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const logSchema = z
  .strictObject({
    level: z
      .enum(['error', 'warn', 'info', 'debug', 'trace', 'panic', 'fatal'])
      .default('info')
      .transform((l) => (l === 'panic' || l === 'fatal' ? 'error' : l)),
    formatter: z
      .enum(['json', 'text', 'logstash'])
      .default('json')
      .transform((f) => (f === 'logstash' ? 'json' : f)),
    fields: z.record(z.string(), z.unknown()).optional(),
    reportcaller: bool.optional(),
    accesslog: z.strictObject({ disabled: bool.default(false) }).prefault({}),
  })
  .prefault({});

const httpSchema = z
  .strictObject({
    addr: str.default(':5000').refine(
      (a) => {
        try {
          parseListenAddress(a);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'expected host:port or :port with a port from 0 to 65535' },
    ),
    net: z.literal('tcp').optional(),
    host: z.url().optional(),
    // Serving under a path prefix would need every Location header rewritten; refuse rather than half-work.
    prefix: str.default('/').refine((p) => p === '/' || p === '', { message: "only '/' is supported" }),
    secret: str.optional(),
    relativeurls: bool.default(false),
    draintimeout: duration.default(30_000),
    tls: z.strictObject({ certificate: str, key: str }).optional(),
    headers: z.record(z.string(), z.array(str)).optional(),
    debug: z.record(z.string(), z.unknown()).optional(),
    http2: z.strictObject({ disabled: bool.optional() }).optional(),
  })
  .prefault({});

const s3Schema = z.strictObject({
  accesskey: str.optional(),
  secretkey: str.optional(),
  region: str.default('us-east-1'),
  regionendpoint: str.optional(),
  forcepathstyle: bool.default(false),
  bucket: str,
  encrypt: bool.default(false),
  keyid: str.optional(),
  secure: bool.default(true),
  skipverify: bool.default(false),
  v4auth: bool.default(true),
  chunksize: int(5 * 1024 * 1024).default(10 * 1024 * 1024),
  multipartcopychunksize: int(5 * 1024 * 1024).default(32 * 1024 * 1024),
  multipartcopythresholdsize: int().default(32 * 1024 * 1024),
  multipartcopymaxconcurrency: int(1).default(100),
  rootdirectory: str.default(''),
  storageclass: str.default('STANDARD'),
  objectacl: str.optional(),
  loglevel: str.optional(),
  usedualstack: bool.optional(),
  accelerate: bool.optional(),
});

export type S3StorageConfig = z.infer<typeof s3Schema>;

const storageSchema = z
  .strictObject({
    filesystem: z.strictObject({ rootdirectory: str.optional(), maxthreads: int(25).optional() }).optional(),
    s3: s3Schema.optional(),
    delete: z.strictObject({ enabled: bool.default(false) }).prefault({}),
    redirect: z.strictObject({ disable: bool.default(false) }).prefault({}),
    cache: z.record(z.string(), z.unknown()).optional(),
    tag: z.record(z.string(), z.unknown()).optional(),
    maintenance: z
      .strictObject({
        uploadpurging: z
          .strictObject({
            enabled: bool.default(true),
            age: duration.default(168 * 3_600_000),
            interval: duration.default(24 * 3_600_000),
            dryrun: bool.default(false),
          })
          .prefault({}),
        readonly: z.strictObject({ enabled: bool.default(false) }).prefault({}),
      })
      .prefault({}),
  })
  .prefault({})
  .superRefine((s, ctx) => {
    if (s.filesystem && s.s3) {
      ctx.addIssue({ code: 'custom', message: 'choose one storage driver: filesystem or s3, not both' });
    }
  });

const authSchema = z
  .strictObject({
    none: z.strictObject({}).optional(),
    htpasswd: z.strictObject({ realm: str.default('basic-realm'), path: str }).optional(),
  })
  .optional()
  .superRefine((a, ctx) => {
    if (a && Object.keys(a).filter((k) => a[k as keyof typeof a] !== undefined).length > 1) {
      ctx.addIssue({ code: 'custom', message: 'choose one auth mode: none or htpasswd' });
    }
  });

const positiveDuration = duration.refine((ms) => ms > 0, { message: 'expected a duration above 0' });

/** registry:2's `catalog.maxentries` (accepted, not used), then Arca's container-registry catalog. */
const catalogSchema = z
  .strictObject({
    maxentries: int(1).optional(),
    healthcheck: z
      .strictObject({
        /** Between rounds of background checks; 0 turns them off. */
        interval: duration.default(5 * 60_000),
        /** For one probe of a registry's /v2/. */
        timeout: positiveDuration.default(5_000),
        /** Probes in flight at once. */
        concurrency: int(1).default(8),
        /** How long check results are kept. */
        history: positiveDuration.default(7 * 24 * 3_600_000),
      })
      .prefault({}),
  })
  .prefault({});

/** The configuration file's schema: registry:2's keys, then Arca's own. */
export const fileSchema = z.strictObject({
  version: str.default('0.1'),
  log: logSchema,
  http: httpSchema,
  storage: storageSchema,
  auth: authSchema,
  database: z.strictObject({ url: str.optional() }).optional(),
  datadir: str.default('./data'),
  limits: z.strictObject({ manifestsize: int(1024).default(4 * 1024 * 1024) }).prefault({}),
  catalog: catalogSchema,
});

export type ConfigFile = z.infer<typeof fileSchema>;
