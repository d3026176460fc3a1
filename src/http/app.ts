import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Distribution } from '../oci/index.js';
import type { AccessControl } from '../access/index.js';
import type { Metric } from 'prom-client';
import { HttpMetrics } from './metrics.js';
import { registerJobGauges } from '../jobs/index.js';
import { runInRequestContext } from '../notifications/index.js';
import { sendFrameworkError } from './framework-errors.js';
import { limitClients, serverTimeouts, type ClientLimits } from './client-limits.js';
import { parseJsonBodies } from './json-body.js';
import { v2Routes, type V2Options } from './routes/v2.js';
import { opsRoutes } from './routes/ops.js';
import { accessGuard, auditTrail } from './access-guard.js';
import { apiRoutes, type ApiRoutesOptions } from './routes/api.js';
import { authRoutes } from './routes/auth.js';
import { catalogRoutes } from './routes/catalog.js';
import { consoleRoutes, type ConsoleRoutesOptions } from './routes/console.js';
import { hfRoutes, type HubRoutesOptions } from './routes/hf/hub.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Which OCI endpoint a /v2 request addressed, for metrics and logs. */
    ociTarget?: string;
    /** The authenticated caller, when there is one. */
    user?: string;
  }
}

export interface AppOptions {
  logger: FastifyBaseLogger;
  distribution: Distribution;
  /** Who may do what: authentication, RBAC, tokens, the audit log. */
  access: AccessControl;
  deleteEnabled: boolean;
  /** Blob GETs answer 307 to the storage's presigned URL when it has one (not storage.redirect.disable). */
  redirect?: boolean;
  /** storage.maintenance.readonly: refuse every write. */
  readOnly: boolean;
  manifestLimit: number;
  accessLog: boolean;
  /** Extra response headers on every response (registry:2's http.headers). */
  headers?: Record<string, string[]>;
  readiness: Record<string, () => Promise<void>>;
  uploadsInProgress: () => Promise<number>;
  /** Metrics kept outside the app (the storage layer's), shown at /metrics with its own. */
  metrics?: readonly Metric[];
  https?: { key: Buffer; cert: Buffer };
  /** Timeouts and the per-address connection limit; Node's defaults when absent (tests of the app alone). */
  clientLimits?: ClientLimits;
  /** The container-registry catalog (AIOS API and /api/v1/catalog), when the server offers it. */
  catalog?: ApiRoutesOptions['catalog'];
  /** Encrypted credentials for other registries and buckets (/api/v1/credentials). */
  credentials?: ApiRoutesOptions['credentials'];
  /** Registries as resources (/api/v1/registries). */
  registries?: ApiRoutesOptions['registries'];
  /** Versioned assets (/api/v1/registries/<r>/models, …). */
  assets?: ApiRoutesOptions['assets'];
  /** The Hugging Face Hub-compatible API (/hf) over the assets. */
  hf?: HubRoutesOptions;
  /** The job table (/api/v1/jobs) and its gauges on /metrics. */
  jobs?: ApiRoutesOptions['jobs'];
  /** Pull-through caches (proxy registries) on the /v2 read path. */
  proxy?: V2Options['proxy'];
  /** Webhooks per registry (/api/v1/registries/<r>/webhooks). */
  webhooks?: ApiRoutesOptions['webhooks'];
  /** The web console at /ui/ (where its build is); served unless false. */
  console?: ConsoleRoutesOptions | false;
}

/** Build the HTTP application. It never listens: the server does. */
export function buildApp(options: AppOptions): FastifyInstance {
  const timeouts = options.clientLimits ? serverTimeouts(options.clientLimits) : undefined;
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    // Blob bodies are streamed by the /v2 handlers; this bounds only bodies Fastify itself parses.
    bodyLimit: 1 << 20,
    return503OnClosing: true,
    // Repository names reach 255 characters; longer segments get the surface's own error.
    routerOptions: { maxParamLength: 512 },
    frameworkErrors: sendFrameworkError,
    keepAliveTimeout: options.clientLimits?.keepAliveTimeoutMs ?? 65_000,
    ...(timeouts ? { http: timeouts } : {}),
    ...(options.https ? { https: { ...options.https, ...timeouts } } : {}),
  } as FastifyServerOptions) as unknown as FastifyInstance;
  if (options.clientLimits) {
    const stop = limitClients(app.server, options.clientLimits, {
      tls: !!options.https,
      log: options.logger,
    });
    app.addHook('onClose', async () => stop());
  }

  const metrics = new HttpMetrics(options.uploadsInProgress, options.metrics);
  if (options.jobs) registerJobGauges(metrics.registry, options.jobs.queue);
  const extraHeaders = Object.entries(options.headers ?? {}).map(
    ([name, values]) => [name, values.join(', ')] as const,
  );
  const socketBytes = new WeakMap<object, { read: number; written: number }>();

  app.addHook('onRequest', async (request, reply) => {
    const socket = request.raw.socket;
    socketBytes.set(request, { read: socket.bytesRead, written: socket.bytesWritten });
    reply.header('X-Request-Id', request.id);
    for (const [name, value] of extraHeaders) reply.header(name, value);
  });

  // Once per request: when it is answered, or when its client goes away first (a push cut off
  // mid-body still brought bytes).
  const countBytes = (request: FastifyRequest) => {
    const before = socketBytes.get(request);
    const socket = request.raw.socket;
    if (!before || !socket) return;
    socketBytes.delete(request);
    metrics.bytesIn.inc(Math.max(socket.bytesRead - before.read, 0));
    metrics.bytesOut.inc(Math.max(socket.bytesWritten - before.written, 0));
  };
  app.addHook('onRequestAbort', async (request) => countBytes(request));

  app.addHook('onResponse', async (request, reply) => {
    const route = request.ociTarget ?? request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, seconds);
    countBytes(request);
    if (options.accessLog) {
      request.log.info(
        {
          method: request.method,
          url: request.url.split('?', 1)[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          user: request.user,
          remote: request.ip,
        },
        'request',
      );
    }
  });

  // Routes at the root take JSON bodies only; each surface (/api/v1, /v2, /auth, AIOS) sets its own.
  parseJsonBodies(app);

  // Every route's access is decided by requiredAccess and enforced here, before any handler runs.
  // Events a request causes (notifications) name it and its caller, read from here when made.
  app.addHook('onRequest', (request, _reply, done) =>
    runInRequestContext(
      () => ({
        request: {
          id: request.id,
          addr: `${request.ip}:${request.socket.remotePort ?? ''}`,
          host: request.headers.host ?? '',
          method: request.method,
          useragent: request.headers['user-agent'] ?? '',
        },
        actor: request.user,
      }),
      done,
    ),
  );
  app.addHook('onRequest', accessGuard(options.access));
  app.addHook('onResponse', auditTrail(options.access));

  app.register(opsRoutes, { metrics, checks: options.readiness });
  if (options.access.tokens) app.register(authRoutes, { access: options.access });
  app.register(apiRoutes, {
    access: options.access,
    catalog: options.catalog,
    credentials: options.credentials,
    registries: options.registries,
    assets: options.assets,
    jobs: options.jobs,
    webhooks: options.webhooks,
    prefix: '/api/v1',
  });
  app.register(v2Routes, {
    distribution: options.distribution,
    deleteEnabled: options.deleteEnabled,
    readOnly: options.readOnly,
    manifestLimit: options.manifestLimit,
    redirect: options.redirect ?? false,
    proxy: options.proxy,
  });
  if (options.hf) app.register(hfRoutes, { ...options.hf, prefix: '/hf' });
  // The AIOS catalog paths; the access guard checks each route's declared catalog/read or catalog/write.
  if (options.catalog) app.register(catalogRoutes, { ...options.catalog, access: options.access });
  if (options.console !== false) app.register(consoleRoutes, options.console ?? {});
  return app;
}
