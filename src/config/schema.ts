import { z } from 'zod';
import { gcSchema, jobsSchema, notificationsSchema } from './background-schema.js';
import { bool, int, str, duration, positiveDuration } from './scalars.js';
import { locationsSchema, storageSchema } from './storage-schema.js';
import { parseListenAddress } from './listen-address.js';
import { ignoredSections } from './registry2.js';
import { defaultDeniedDestinations, destinationRangeProblem } from '../net/index.js';

const logLevel = z.preprocess(
  (v) => (typeof v === 'string' ? v.toLowerCase() : v),
  z
    .enum(['error', 'warn', 'warning', 'info', 'debug', 'trace', 'panic', 'fatal'])
    .transform((l) => (l === 'panic' || l === 'fatal' ? 'error' : l === 'warning' ? 'warn' : l)),
);

const logSchema = z
  .strictObject({
    level: logLevel.default('info'),
    formatter: z
      .enum(['json', 'text', 'logstash'])
      .default('json')
      .transform((f) => (f === 'logstash' ? 'json' : f)),
    fields: z.record(z.string(), z.unknown()).optional().describe('added to every log line'),
    reportcaller: bool.optional().describe('registry:2 key; accepted and ignored'),
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
      { message: "expected host:port or :port with a port from 0 to 65535 (e.g. ':5000', '[::1]:5000')" },
    ),
    net: z.literal('tcp').optional(),
    host: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('public base URL, e.g. https://reg.example.com'),
    // Serving under a path prefix would need every Location header rewritten; refuse rather than half-work.
    prefix: str
      .default('/')
      .refine((p) => p === '/' || p === '', { message: "only '/' is supported" })
      .transform(() => '/'),
    secret: str.optional(),
    relativeurls: bool.default(false),
    draintimeout: duration.prefault('30s'),
    // hardening (http): how long the server waits on a client, connections per address
    timeouts: z
      .strictObject({
        header: positiveDuration.prefault('20s').describe("a request's headers must be complete within this"),
        request: positiveDuration
          .prefault('60s')
          .describe('a body read whole (JSON, manifests; not blob uploads) must be complete within this'),
        idle: positiveDuration
          .prefault('60s')
          .describe('no byte moved while waiting on the client (a body, a response it does not read)'),
        keepalive: positiveDuration
          .prefault('65s')
          .describe('an idle kept-alive connection is closed after this'),
      })
      .prefault({}),
    maxconnectionsperaddress: int(0)
      .default(256)
      .describe('open connections per client address (behind a proxy: its address); 0: no limit'),
    tls: z.strictObject({ certificate: str, key: str }).optional(),
    headers: z.record(z.string(), z.array(str)).optional().describe('added to every response'),
    debug: z.record(z.string(), z.unknown()).optional().describe('registry:2 key; accepted and ignored'),
    http2: z
      .strictObject({ disabled: bool.optional() })
      .optional()
      .describe('registry:2 key; accepted and ignored'),
  })
  .prefault({});

/** Registries as resources: how often their backends are probed. */
const registriesSchema = z
  .strictObject({
    probeinterval: duration.prefault('1m').describe('between background probes of every location; 0: off'),
    filesystem: z
      .strictObject({
        allowedroots: z
          .array(str)
          .optional()
          .describe(
            "directories registries' own filesystem backends may lie under; default: [<datadir>/registries]; []: none",
          ),
      })
      .prefault({}),
  })
  .prefault({});

/** Every request Arca sends to other servers: its time bounds and where it may go, by address. */
const cidr = str.superRefine((entry, ctx) => {
  const problem = destinationRangeProblem(entry);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const outboundSchema = z
  .strictObject({
    timeout: positiveDuration.prefault('30s').describe('a whole outbound request, at most'),
    connecttimeout: positiveDuration.prefault('10s').describe('resolving and connecting, at most'),
    allow: z
      .array(cidr)
      .default([])
      .describe('addresses/CIDR ranges that may be reached; empty: all not denied'),
    deny: z
      .array(cidr)
      .default([...defaultDeniedDestinations])
      .describe('addresses/CIDR ranges never reached (default: link-local and cloud metadata)'),
  })
  .prefault({});

/** registry:2's `proxy`: the default registry as a pull-through cache of `remoteurl`. */
const proxySchema = z
  .strictObject({
    remoteurl: z
      .url({ protocol: /^https?$/ })
      .describe('the upstream registry, e.g. https://registry-1.docker.io'),
    username: str.optional(),
    password: str.optional(),
    ttl: positiveDuration
      .prefault('5m')
      .describe("how long a tag's upstream answer is served before a HEAD asks again"),
  })
  .refine((p) => (p.username === undefined) === (p.password === undefined), {
    message: 'give both username and password, or neither',
  });

const authSchema = z
  .strictObject({
    none: z.strictObject({}).optional(),
    htpasswd: z
      .strictObject({
        realm: str.default('basic-realm'),
        path: str,
        admins: z
          .array(str)
          .optional()
          .describe('Arca key: file users who are Owners (others may pull, push and delete on /v2 only)'),
      })
      .optional(),
    token: z
      .strictObject({
        realm: z.url({ protocol: /^https?$/ }).describe("the external token server's endpoint"),
        service: str,
        issuer: str,
        rootcertbundle: str.optional().describe('PEM certificates whose keys sign the tokens'),
        jwks: str.optional().describe('a JWKS file of the keys that sign the tokens'),
        autoredirect: bool.optional().describe('registry:2 key; accepted and ignored'),
        autoredirectpath: str.optional().describe('registry:2 key; accepted and ignored'),
      })
      .superRefine((t, ctx) => {
        if (!t.rootcertbundle && !t.jwks) {
          ctx.addIssue({ code: 'custom', message: 'rootcertbundle or jwks is required to verify tokens' });
        }
      })
      .optional(),
  })
  .optional()
  .describe("absent: Arca's own accounts and token service")
  .superRefine((a, ctx) => {
    const modes = a ? Object.entries(a).filter(([, v]) => v !== undefined) : [];
    if (modes.length > 1) {
      ctx.addIssue({ code: 'custom', message: 'choose one auth mode: none, htpasswd or token' });
    }
  });

/** Arca's own access settings: its token service, anonymous pulls, the login throttle. */
const accessSchema = z
  .strictObject({
    token: z
      .strictObject({
        issuer: str.default('arca'),
        service: str.default('arca'),
        realm: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe("the token endpoint's public URL; default: this server as the client reached it"),
        expiration: positiveDuration.prefault('5m'),
        refreshexpiration: positiveDuration.prefault('720h'),
        algorithm: z.enum(['ES256', 'RS256']).default('ES256'),
        rotation: positiveDuration.prefault('720h'),
      })
      .prefault({}),
    anonymouspull: z.array(str).default([]).describe('registries anyone may pull from without signing in'),
    registries: z.array(str).default([]).describe('registries besides default, by first path segment'),
    throttle: z
      .strictObject({
        basedelay: positiveDuration.optional(),
        maxdelay: positiveDuration.optional(),
        freefailures: int(0).optional(),
      })
      .prefault({}),
    audit: z
      .strictObject({
        retention: duration
          .prefault('2160h')
          .describe('how long audit events are kept (90 days); 0: for ever'),
        pruneinterval: positiveDuration
          .prefault('1h')
          .describe('between removals of old audit events and ended refresh tokens'),
      })
      .prefault({}),
  })
  .prefault({});

const databaseUrl = str.refine((url) => /^sqlite:.+/.test(url) || /^postgres(ql)?:\/\/./.test(url), {
  message: "expected 'sqlite:<path>', 'sqlite::memory:' or 'postgres://user@host/db'",
});

/** registry:2's `catalog.maxentries` (accepted, not used), then Arca's container-registry catalog. */
const catalogSchema = z
  .strictObject({
    maxentries: int(1).optional(),
    healthcheck: z
      .strictObject({
        /** Between rounds of background checks; 0 turns them off. */
        interval: duration.prefault('5m'),
        /** For one probe of a registry's /v2/. */
        timeout: positiveDuration.prefault('5s'),
        /** Probes in flight at once. */
        concurrency: int(1).default(8),
        /** How long check results are kept. */
        history: positiveDuration.prefault('168h'),
      })
      .prefault({}),
    /** What one query may cost; beyond, it is refused with CATALOG_QUERY_TOO_EXPENSIVE (400). */
    query: z
      .strictObject({
        /** Values in one $in/$nin/$all, clauses in one $and/$or/$nor. */
        maxvalues: int(1).default(1000),
        /** Conditions, clauses and values in a whole filter. */
        maxterms: int(1).default(5000),
        /** Candidate entries read and examined by the matcher. */
        maxscan: int(1).default(100_000),
        /** Time spent evaluating one query. */
        timeout: positiveDuration.prefault('5s'),
      })
      .prefault({}),
  })
  .prefault({});

const ignored = Object.fromEntries(
  ignoredSections.map((name) => [
    name,
    z.unknown().optional().describe('registry:2 section; accepted and ignored, with a warning'),
  ]),
);

/** The configuration file's schema: registry:2's keys, then Arca's own. */
export const fileSchema = z.strictObject({
  // `version: 0.1` is a YAML number to an editor checking the file against the JSON Schema.
  version: z.union([z.string(), z.number().transform(String)]).default('0.1'),
  log: logSchema,
  loglevel: logLevel.optional().describe('deprecated registry:2 alias of log.level'),
  http: httpSchema,
  storage: storageSchema,
  auth: authSchema,
  access: accessSchema,
  database: z
    .strictObject({ url: databaseUrl.optional().describe('default: sqlite:<datadir>/arca.db') })
    .optional(),
  datadir: str.default('./data'),
  limits: z
    .strictObject({
      manifestsize: int(1024)
        .default(4 * 1024 * 1024)
        .describe('largest manifest accepted, in bytes'),
      // hardening (http): open upload sessions
      uploadsperrepository: int(1).default(1000).describe('open upload sessions per repository'),
      uploadspercaller: int(1)
        .default(1000)
        .describe('open upload sessions per signed-in user, or per address of anonymous callers'),
    })
    .prefault({}),
  catalog: catalogSchema,
  locations: locationsSchema,
  location: z
    .string()
    .optional()
    .describe('the location this server runs in: blob reads prefer it (ARCA_LOCATION)'),
  registries: registriesSchema,
  outbound: outboundSchema,
  jobs: jobsSchema,
  gc: gcSchema,
  notifications: notificationsSchema,
  proxy: proxySchema.optional(),
  ...ignored,
});

/** The file's shape after validation and defaults. */
export type ConfigFile = z.infer<typeof fileSchema>;
