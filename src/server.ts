import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createLogger } from './logger.js';
import { parseListenAddress, type ArcaConfig } from './config/index.js';
import { openCore } from './core.js';
import { GcMetrics, purgeStaleUploads } from './oci/index.js';
import type { AccessControl } from './access/index.js';
import { openAccess } from './open-access.js';
import { buildApp } from './http/app.js';
import { CatalogService, HealthScheduler, defaultRegistry, type OwnRegistry } from './catalog/index.js';
import {
  BrowserTransfers,
  RegistryService,
  probeReason,
  registryLocator,
  registryProber,
} from './registries/index.js';
import { openHub } from './hf/index.js';
import { catalogCredentialUser, catalogCredentials, testBucketAccess } from './credentials/index.js';
import { Outbound } from './net/index.js';
import { openBackgroundWork } from './background-work.js';
import { registerGc } from './gc-schedule.js';
import { openProxy } from './proxy/index.js';

export interface RunningServer {
  app: FastifyInstance;
  /** The address actually bound, e.g. http://127.0.0.1:5000 */
  url: string;
  /** Stop accepting, let in-flight requests end (up to the drain timeout), release everything. */
  close(): Promise<void>;
}

/**
 * The server assembled but not listening: the app (tests call `inject()` on it), and `start` for
 * what runs beside it once it has an address (catalog reconciliation, probes, health checks, pruning,
 * upload purging).
 */
export interface AssembledServer {
  app: FastifyInstance;
  /** Start the background work; `url` is the address bound (the public URL unless http.host says otherwise). */
  start(url: string): Promise<void>;
  /** Stop the background work, the app (draining connections) and everything the core holds. */
  close(): Promise<void>;
}

/** Open the core (database, credentials, storage, OCI services), build the app, listen, start. */
export async function startServer(
  config: ArcaConfig,
  log: Logger = createLogger(config),
): Promise<RunningServer> {
  const server = await assembleServer(config, log);
  const { app } = server;
  const { host, port } = parseListenAddress(config.http.addr);
  try {
    await app.listen({ host, port });
  } catch (err) {
    await server.close();
    throw err;
  }
  const bound = app.server.address();
  const boundPort = typeof bound === 'object' && bound ? bound.port : port;
  const scheme = config.http.tls ? 'https' : 'http';
  const url = `${scheme}://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${boundPort}`;
  await server.start(url);
  return { app, url, close: () => server.close() };
}

/** Open the core and build the app, without listening or starting background work. */
export async function assembleServer(
  config: ArcaConfig,
  log: Logger = createLogger(config),
): Promise<AssembledServer> {
  // Every request to another server goes through this one: its timeouts and destination policy.
  const outbound = new Outbound(config.outbound, log);
  // A backend probe (ping, CORS), a new bucket's CORS set-up, a bucket credential test: 10 s, or
  // less if outbound says so.
  const backendTimeout = Math.min(10_000, config.outbound.timeout);
  const core = await openCore(config, {
    reseal: log,
    log,
    guard: outbound,
    pingStorage: true,
    uploadLimits: {
      perRepository: config.limits.uploadsperrepository,
      perCaller: config.limits.uploadspercaller,
    },
  });
  const { meta, credentials, opened, distribution } = core;
  const { registries, defaultStorage: storage } = opened;
  let access: AccessControl;
  try {
    access = await openAccess(config, meta.db, registries, log);
  } catch (err) {
    await core.close();
    throw err;
  }
  const catalog = new CatalogService(meta, {
    healthcheck: config.catalog.healthcheck,
    limits: {
      maxValues: config.catalog.query.maxvalues,
      maxTerms: config.catalog.query.maxterms,
      maxScan: config.catalog.query.maxscan,
      timeout: config.catalog.query.timeout,
    },
    credentials: catalogCredentials(credentials),
    outbound,
  });
  let publicUrl = config.http.host ?? '';
  // Browsers reach Arca here; buckets must let this origin upload and download.
  const publicOrigin = () => new URL(defaultRegistry(config, publicUrl).publicUrl).origin;
  const ownRegistries = async (): Promise<OwnRegistry[]> => [
    defaultRegistry(config, publicUrl),
    ...(await registryService.list()).map((r) => ({
      name: r.name,
      pathSegment: r.path,
      publicUrl: defaultRegistry(config, publicUrl).publicUrl,
      storageType:
        r.backend?.s3 || (r.backend === null && r.endpoint !== null) ? ('s3' as const) : ('fs' as const),
      authRequired: config.auth.kind !== 'none',
    })),
  ];
  // Versions of models, datasets, environments, components (the core's indexer observes manifests).
  const { assets } = core;
  // The job table and notifications (registry:2 endpoints, webhooks) delivered through it.
  const background = openBackgroundWork({
    config,
    meta,
    distribution,
    credentials,
    outbound,
    locator: registryLocator(registries),
    queue: core.queue,
    replicator: core.replicator,
    assets: assets.observers,
    log,
  });
  const proxy = openProxy({ config, registries, credentials, outbound, distribution, log });
  const gcMetrics = new GcMetrics();
  const gc = registerGc({
    config,
    meta,
    stores: registries,
    queue: background.queue,
    handlers: background.handlers,
    metrics: gcMetrics,
    log,
  });
  const registryService: RegistryService = new RegistryService(meta.db, registries, distribution, {
    assets: assets.assets,
    forget: (registry) => background.webhooks.removeRegistry(registry),
    proxyStats: (registry) => ({ ...proxy.metrics.stats(registry) }),
    replication: background.replicator,
    locations: opened.locationInfo,
    defaultLocation: opened.defaultLocationInfo,
    credentials,
    filesystemRoots: opened.filesystemRoots,
    probe: registryProber(registries, backendTimeout, async (location, _row, signal) => {
      const driver = registries.driverOf(location);
      return driver?.bucket ? driver.bucket.checkCors(publicOrigin(), outbound, signal) : null;
    }),
    prepare: async (row) => {
      // Bounded like a probe: a bucket endpoint that never answers must not hold the create request.
      const signal = AbortSignal.timeout(backendTimeout);
      for (const location of [row.primary_location, ...(JSON.parse(row.locations) as string[])]) {
        await registries.driverOf(location)?.bucket?.ensureCors(publicOrigin(), signal);
      }
    },
    changed: async () => {
      access.grants.invalidate();
      try {
        await catalog.reconcileOwnRegistries(await ownRegistries());
      } catch (err) {
        log.error({ err }, 'catalog: could not list the registries');
      }
    },
  });
  // Nothing dangles: a credential these use is not deleted unless forced, and then they say so.
  credentials.addUser(registryService.credentialUser());
  credentials.addUser(catalogCredentialUser(catalog));
  const tls = config.http.tls;
  const app = buildApp({
    logger: log,
    distribution,
    access,
    deleteEnabled: config.storage.delete.enabled,
    readOnly: config.storage.maintenance.readonly.enabled,
    manifestLimit: config.limits.manifestsize,
    redirect: !config.storage.redirect.disable,
    accessLog: !config.log.accesslog.disabled,
    headers: config.http.headers,
    readiness: {
      database: () => meta.ping(),
      // /readyz is public: the reason names what is wrong, not the host's paths (those go to the log).
      storage: async () => {
        try {
          await storage.ping();
        } catch (err) {
          log.warn({ err }, 'storage: ping failed');
          throw new Error(probeReason(err));
        }
      },
      // A registry in Error answers its pulls 503: the server is not ready for all it serves.
      registries: async () => {
        const broken = registries.inError();
        if (broken.length > 0) throw new Error(`registries in Error: ${broken.join(', ')}`);
      },
    },
    uploadsInProgress: () => distribution.uploadsInProgress(),
    metrics: [...core.storageMetrics.metrics, ...gcMetrics.metrics, ...proxy.metrics.metrics],
    proxy: proxy.pullThrough,
    https: tls ? { cert: readFileSync(tls.certificate), key: readFileSync(tls.key) } : undefined,
    clientLimits: {
      headerTimeoutMs: config.http.timeouts.header,
      requestTimeoutMs: config.http.timeouts.request,
      idleTimeoutMs: config.http.timeouts.idle,
      keepAliveTimeoutMs: config.http.timeouts.keepalive,
      maxConnectionsPerAddress: config.http.maxconnectionsperaddress,
    },
    catalog: { service: catalog },
    credentials: {
      credentials,
      testBucket: (credential, bucket) => testBucketAccess(credential, bucket, outbound, backendTimeout),
      outbound,
    },
    registries: { service: registryService, transfers: new BrowserTransfers(registries, distribution) },
    assets: { assets, distribution, redirect: !config.storage.redirect.disable },
    hf: { hub: openHub(assets, distribution, access), redirect: !config.storage.redirect.disable },
    jobs: { queue: background.queue },
    webhooks: { webhooks: background.webhooks, registries: registryService },
  });

  const healthChecks = new HealthScheduler(catalog, config.catalog.healthcheck, log);
  let probeTimer: NodeJS.Timeout | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;

  const start = async (url: string): Promise<void> => {
    publicUrl = config.http.host ?? url;
    try {
      await catalog.reconcileOwnRegistries(await ownRegistries());
    } catch (err) {
      log.error({ err }, 'catalog: could not list the registries');
    }
    registries.start(5_000, (err) => log.error({ err }, 'registries: refresh failed'));
    if (config.registries.probeinterval > 0) {
      probeTimer = setInterval(
        () =>
          registryService
            .probeAll()
            .catch((err: unknown) => log.error({ err }, 'registries: probing failed')),
        config.registries.probeinterval,
      );
      probeTimer.unref();
    }
    healthChecks.start();
    access.startPruning();
    startPurging();
    await gc.start();
    await background.start(url);
  };

  const purging = config.storage.maintenance.uploadpurging;
  const startPurging = () => {
    if (!purging.enabled) return;
    const purge = async () => {
      try {
        const { purged } = await purgeStaleUploads(meta, registries, purging.age, purging.dryrun);
        if (purged.length > 0)
          log.info({ count: purged.length, dryRun: purging.dryrun }, 'purged stale uploads');
      } catch (err) {
        log.error({ err }, 'upload purging failed');
      }
    };
    purgeTimer = setInterval(purge, purging.interval);
    purgeTimer.unref();
    setTimeout(purge, Math.min(5_000, purging.interval)).unref();
  };

  return {
    app,
    start,
    async close() {
      clearInterval(purgeTimer);
      clearInterval(probeTimer);
      registries.stop();
      await background.stop();
      await healthChecks.stop();
      const drain = setTimeout(() => app.server.closeAllConnections(), config.http.draintimeout);
      drain.unref();
      await app.close();
      clearTimeout(drain);
      await access.close();
      await core.close();
    },
  };
}
