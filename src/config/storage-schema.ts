import { z } from 'zod';
import { bool, int, str, duration } from './scalars.js';

/** registry:2's `s3` storage driver parameters (the default store, or a location's). */
export const s3Schema = z.strictObject({
  accesskey: str.optional(),
  secretkey: str.optional(),
  sessiontoken: str.optional().describe('with accesskey and secretkey: temporary credentials'),
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
  useragent: str.optional().describe("appended to the S3 client's User-Agent"),
});

/** The s3 storage driver's parameters, registry:2's keys, defaults applied. */
export type S3StorageConfig = z.infer<typeof s3Schema>;

export const storageSchema = z
  .strictObject({
    filesystem: z
      .strictObject({
        rootdirectory: str.optional().describe('default: <datadir>/storage'),
        maxthreads: int(25).optional().describe('registry:2 key; accepted and ignored'),
      })
      .optional(),
    s3: s3Schema.optional(),
    delete: z.strictObject({ enabled: bool.default(false) }).prefault({}),
    redirect: z.strictObject({ disable: bool.default(false) }).prefault({}),
    cache: z.record(z.string(), z.unknown()).optional().describe('registry:2 key; accepted and ignored'),
    tag: z.record(z.string(), z.unknown()).optional().describe('registry:2 key; accepted and ignored'),
    maintenance: z
      .strictObject({
        uploadpurging: z
          .strictObject({
            enabled: bool.default(true),
            age: duration.prefault('168h'),
            interval: duration.prefault('24h'),
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

/** A location's backend: one of registry:2's storage drivers, nothing else. */
const locationSchema = z
  .strictObject({
    storage: z
      .strictObject({
        filesystem: z.strictObject({ rootdirectory: str }).optional(),
        s3: s3Schema.optional(),
      })
      .superRefine((s, ctx) => {
        if ((s.filesystem ? 1 : 0) + (s.s3 ? 1 : 0) !== 1) {
          ctx.addIssue({ code: 'custom', message: 'choose one storage driver: filesystem or s3' });
        }
      }),
  })
  .describe('a region-like place registries keep their content in');

/** Where registries may keep their content, by name (like cloud regions). */
export const locationsSchema = z
  .record(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'location names: lowercase letters, digits and -, up to 32'),
    locationSchema,
  )
  .default({});
