import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors/index.js';
import type { JobQueue } from '../../jobs/index.js';

export interface JobRoutesOptions {
  queue: JobQueue;
}

type Params = { Params: { id: string } };
type Query = { Querystring: Record<string, string | undefined> };

/**
 * `/api/v1/jobs`: the background work of the whole installation. Reading needs `registries/read`
 * at `/`, a retry `registries/write` at `/`.
 */
export async function jobRoutes(app: FastifyInstance, options: JobRoutesOptions): Promise<void> {
  const { queue } = options;
  const read = { config: { access: 'registries/read' as const } };
  const write = { config: { access: 'registries/write' as const } };

  app.get<Query>('/jobs', read, async (request) => {
    const { state, kind, n, last } = request.query;
    if (n !== undefined && !/^\d+$/.test(n)) throw new AppError('REQUEST_INVALID', 'n must be an integer');
    const items = await queue.list({ state, kind, n: n === undefined ? undefined : Number(n), last });
    return { items };
  });

  app.get<Params>('/jobs/:id', read, async (request) => queue.get(request.params.id));

  app.post<Params>('/jobs/:id/retry', write, async (request) => queue.retry(request.params.id));
}
