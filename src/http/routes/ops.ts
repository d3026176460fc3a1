import type { FastifyInstance } from 'fastify';
import type { HttpMetrics } from '../metrics.js';

export interface OpsOptions {
  metrics: HttpMetrics;
  /** Named readiness checks; each throws when its dependency is unusable. */
  checks: Record<string, () => Promise<void>>;
}

const checkTimeoutMs = 5_000;

function withTimeout(work: Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), checkTimeoutMs);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Liveness, readiness and Prometheus metrics. */
export async function opsRoutes(app: FastifyInstance, options: OpsOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const results = await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        try {
          await withTimeout(check());
          return [name, { status: 'ok' }] as const;
        } catch (err) {
          request.log.warn({ check: name, err: (err as Error).message }, 'readiness check failed');
          return [name, { status: 'error', error: (err as Error).message }] as const;
        }
      }),
    );
    const ready = results.every(([, r]) => r.status === 'ok');
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ok' : 'error', checks: Object.fromEntries(results) });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
}
