import { join } from 'node:path';
import type { ConfigFile } from './schema.js';
import type { S3StorageConfig } from './storage-schema.js';

/**
 * The configuration every other room reads: defaults applied, one storage driver and one auth mode
 * chosen. Durations are milliseconds, sizes bytes.
 */
export interface ArcaConfig {
  /** registry:2's `version`, informational. */
  version: string;
  log: {
    level: 'error' | 'warn' | 'info' | 'debug' | 'trace';
    formatter: 'json' | 'text';
    accesslog: { disabled: boolean };
    /** registry:2's `log.fields`: added to every log line. */
    fields?: Record<string, unknown>;
  };
  http: {
    /** ':5000', '127.0.0.1:5000', '[::1]:5000'; see parseListenAddress. */
    addr: string;
    /** Public base URL, e.g. https://reg.example.com. */
    host?: string;
    /** Always '/': other prefixes are refused. */
    prefix: string;
    secret?: string;
    tls?: { certificate: string; key: string };
    draintimeout: number;
    timeouts: { header: number; request: number; idle: number; keepalive: number };
    maxconnectionsperaddress: number;
    headers?: Record<string, string[]>;
    relativeurls: boolean;
  };
  storage: {
    driver: 'filesystem' | 's3';
    filesystem: { rootdirectory: string };
    s3?: S3StorageConfig;
    delete: { enabled: boolean };
    redirect: { disable: boolean };
    maintenance: {
      uploadpurging: { enabled: boolean; age: number; interval: number; dryrun: boolean };
      readonly: { enabled: boolean };
    };
    /** registry:2's `storage.cache`: accepted and ignored (metadata lives in the database). */
    cache?: Record<string, unknown>;
  };
  /** none, registry:2's htpasswd or token, or (no auth section) Arca's own accounts and tokens. */
  auth:
    | { kind: 'none' }
    | { kind: 'htpasswd'; realm: string; path: string; admins?: string[] }
    | {
        kind: 'token';
        realm: string;
        service: string;
        issuer: string;
        rootcertbundle?: string;
        jwks?: string;
      }
    | { kind: 'arca' };
  access: {
    token: {
      issuer: string;
      service: string;
      realm?: string;
      expiration: number;
      refreshexpiration: number;
      algorithm: 'ES256' | 'RS256';
      rotation: number;
    };
    anonymouspull: string[];
    registries: string[];
    throttle: { basedelay?: number; maxdelay?: number; freefailures?: number };
    audit: { retention: number; pruneinterval: number };
  };
  /** 'sqlite:<path>', 'sqlite::memory:' or 'postgres://…'. */
  database: { url: string };
  datadir: string;
  limits: { manifestsize: number; uploadsperrepository: number; uploadspercaller: number };
  /** Places registries keep their content, each with its own backend. */
  locations: Record<string, { storage: { filesystem?: { rootdirectory: string }; s3?: S3StorageConfig } }>;
  /** The location this server runs in (`default` or one of `locations`), when it is told. */
  location?: string;
  registries: {
    probeinterval: number;
    /** Directories a registry's own filesystem backend may lie under (resolved from datadir by default). */
    filesystem: { allowedroots: string[] };
  };
  /** The container-registry catalog's background health checks; concurrency and history aside, ms. */
  catalog: {
    healthcheck: { interval: number; timeout: number; concurrency: number; history: number };
    /** What one query may cost; timeout in ms. */
    query: { maxvalues: number; maxterms: number; maxscan: number; timeout: number };
  };
  /** Requests to other servers: timeouts (ms) and the destination policy (addresses, CIDR ranges). */
  outbound: { timeout: number; connecttimeout: number; allow: string[]; deny: string[] };
  /** The job table's workers; durations in ms. */
  jobs: {
    workers: boolean;
    concurrency: number;
    pollinterval: number;
    lease: number;
    maxattempts: number;
    backoff: { base: number; max: number };
    retention: number;
  };
  /** Online garbage collection; durations in ms. */
  gc: { enabled: boolean; graceperiod: number; interval: number };
  /** registry:2's notifications: endpoints receiving event envelopes; durations in ms. */
  notifications: {
    events: { includereferences: boolean };
    endpoints: NotificationEndpoint[];
  };
  /** registry:2's `proxy`: the default registry caches `remoteurl`; `ttl` in ms. */
  proxy?: { remoteurl: string; username?: string; password?: string; ttl: number };
}

/** One of registry:2's notification endpoints. */
export interface NotificationEndpoint {
  name: string;
  disabled: boolean;
  url: string;
  headers: Record<string, string[]>;
  timeout: number;
  threshold: number;
  backoff: number;
  ignoredmediatypes: string[];
  ignore: { mediatypes: string[]; actions: string[] };
}

/** Resolve the validated file into ArcaConfig: pick the driver and auth mode, derive paths from datadir. */
export function toArcaConfig(file: ConfigFile): ArcaConfig {
  const { net: _net, debug: _debug, http2: _http2, ...http } = file.http;
  const { reportcaller: _reportcaller, ...log } = file.log;
  const s = file.storage;
  return {
    version: file.version,
    log,
    http,
    storage: {
      driver: s.s3 ? 's3' : 'filesystem',
      filesystem: { rootdirectory: s.filesystem?.rootdirectory ?? join(file.datadir, 'storage') },
      s3: s.s3,
      delete: s.delete,
      redirect: s.redirect,
      maintenance: s.maintenance,
      cache: s.cache,
    },
    auth: authMode(file.auth),
    access: file.access,
    database: { url: file.database?.url ?? `sqlite:${join(file.datadir, 'arca.db')}` },
    datadir: file.datadir,
    limits: file.limits,
    catalog: { healthcheck: file.catalog.healthcheck, query: file.catalog.query },
    locations: file.locations,
    ...(file.location !== undefined ? { location: file.location } : {}),
    registries: {
      probeinterval: file.registries.probeinterval,
      filesystem: {
        allowedroots: file.registries.filesystem.allowedroots ?? [join(file.datadir, 'registries')],
      },
    },
    outbound: file.outbound,
    jobs: file.jobs,
    gc: file.gc,
    notifications: file.notifications,
    proxy: file.proxy,
  };
}

function authMode(auth: ConfigFile['auth']): ArcaConfig['auth'] {
  if (auth?.htpasswd) return { kind: 'htpasswd', ...auth.htpasswd };
  if (auth?.token) {
    const { autoredirect: _a, autoredirectpath: _p, ...token } = auth.token;
    return { kind: 'token', ...token };
  }
  if (auth?.none) return { kind: 'none' };
  return { kind: 'arca' };
}
