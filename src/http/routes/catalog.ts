import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessControl } from '../../access/index.js';
import { AppError } from '../../errors/index.js';
import {
  isObject,
  parseQuery,
  queryEnvelopeKeys,
  type CatalogPermission,
  type CatalogService,
  type CredentialUseCheck,
  type QueryInput,
} from '../../catalog/index.js';
import { asAppError } from '../problem.js';
import { parseJsonBodies } from '../json-body.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a catalog route needs; enforced by the app-wide access guard. */
    permission?: CatalogPermission;
  }
}

export interface CatalogRoutesOptions {
  service: CatalogService;
  access: AccessControl;
}

/** The namespace whose credentials entries name (`container_registry_config.credential`). */
const credentialNamespace = 'default';

/**
 * An entry may name a credential for its health checks only when its writer may use (read) that
 * credential: catalog/write alone must not let anyone have the server present a stored secret.
 */
function credentialUse(access: AccessControl, request: FastifyRequest): CredentialUseCheck {
  return async (name) => {
    if (!(await access.allows(request.caller, 'credentials/read', { namespace: credentialNamespace }))) {
      throw new AppError(
        'DENIED',
        `naming credential ${JSON.stringify(name.slice(0, 64))} needs credentials/read in namespace ${credentialNamespace}`,
      );
    }
  };
}

const read = { config: { permission: 'catalog/read' as const } };
const write = { config: { permission: 'catalog/write' as const } };
const apiLimits = { defaultLimit: 100, maxLimit: 1000 };

type IdParams = { Params: { id: string } };

/** The query of POST /container_registries: the body is the filter, or an envelope with options. */
function aiosQuery(body: unknown, query: Record<string, string | undefined>): QueryInput {
  const fromUrl: QueryInput = {
    sort: query.sort,
    projection: query.projection,
    limit: query.limit,
    skip: query.skip,
  };
  if (body === undefined || body === null) return fromUrl;
  if (!isObject(body)) return { ...fromUrl, filter: body };
  const keys = Object.keys(body);
  const envelope = keys.filter((k) => (queryEnvelopeKeys as readonly string[]).includes(k));
  if (envelope.length === 0) return { ...fromUrl, filter: body };
  const stray = keys.find((k) => !envelope.includes(k));
  if (stray !== undefined) {
    throw new AppError(
      'CATALOG_REQUEST_INVALID',
      `query: '${stray}' beside ${envelope.join(', ')}: put the filter under "filter"`,
    );
  }
  for (const key of envelope) {
    if (fromUrl[key as keyof QueryInput] !== undefined) {
      throw new AppError('CATALOG_REQUEST_INVALID', `query: ${key} is given both in the URL and in the body`);
    }
  }
  return { ...fromUrl, ...body };
}

function requireObject(body: unknown, what: string): object {
  if (body === undefined)
    throw new AppError('CATALOG_REQUEST_INVALID', `the request needs a JSON body: ${what}`);
  return body as object;
}

/**
 * The container-registry catalog's AIOS API, exactly: `{"success": true, "data": ...}` or
 * `{"success": false, "error": "..."}`, at the reference's paths. Its own surface with its own error
 * handler; Arca's catalog API is `catalogApiRoutes`, part of the /api/v1 plugin.
 */
export async function catalogRoutes(app: FastifyInstance, options: CatalogRoutesOptions): Promise<void> {
  const catalog = options.service;
  const mayUse = (request: FastifyRequest) => credentialUse(options.access, request);
  parseJsonBodies(app);
  app.setErrorHandler((err, request, reply) => {
    const error = asAppError(err, request);
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
    return reply.code(error.status).send({ success: false, error: error.message });
  });

  app.post('/container_registry', write, async (request, reply) => {
    const entry = await catalog.create(
      requireObject(request.body, 'the container registry'),
      mayUse(request),
    );
    return reply.code(201).send({
      success: true,
      data: { message: 'Container registry created', id: entry.container_registry_id },
    });
  });

  app.get<IdParams>('/container_registry/:id', read, async (request) => ({
    success: true,
    data: await catalog.get(request.params.id),
  }));

  app.put<IdParams>('/container_registry/:id', write, async (request) => {
    await catalog.update(
      request.params.id,
      requireObject(request.body, 'the update, e.g. {"$set": {...}}'),
      mayUse(request),
    );
    return { success: true, data: { message: 'Container registry updated' } };
  });

  app.delete<IdParams>('/container_registry/:id', write, async (request) => {
    await catalog.delete(request.params.id);
    return { success: true, data: { message: 'Container registry deleted' } };
  });

  app.post<{ Querystring: Record<string, string | undefined> }>(
    '/container_registries',
    read,
    async (request) => {
      const query = parseQuery(aiosQuery(request.body, request.query), { filter: catalog.limits });
      const page = await catalog.query(query);
      return { success: true, data: page.items };
    },
  );

  app.get<IdParams>('/check_container_health/:id', read, async (request, reply) => {
    const record = await catalog.checkHealth(request.params.id);
    if (record.status === 'up') return { success: true, data: record };
    const error = record.reachable
      ? `Registry at ${record.url} is down: ${record.error}`
      : `Registry is not reachable at ${record.url}: ${record.error}`;
    // The check itself worked; the registry did not: a gateway error, with the full record.
    return reply.code(502).send({ success: false, error, data: record });
  });
}

function listResponse(page: { items: unknown[]; more: boolean }, skip: number, limit: number) {
  return { items: page.items, skip, limit, next: page.more ? skip + page.items.length : null };
}

/**
 * Arca's own API for the catalog (/api/v1/catalog): REST paths, paged lists; bodies and errors are the
 * /api/v1 plugin's.
 */
export async function catalogApiRoutes(app: FastifyInstance, options: CatalogRoutesOptions): Promise<void> {
  const catalog = options.service;
  const mayUse = (request: FastifyRequest) => credentialUse(options.access, request);
  const entryUrl = (id: string) => `/api/v1/catalog/entries/${encodeURIComponent(id)}`;

  app.post('/entries', write, async (request, reply) => {
    const entry = await catalog.create(
      requireObject(request.body, 'the container registry'),
      mayUse(request),
    );
    return reply.code(201).header('Location', entryUrl(entry.container_registry_id)).send(entry);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/entries', read, async (request) => {
    let filter: unknown;
    if (request.query.filter !== undefined) {
      try {
        filter = JSON.parse(request.query.filter);
      } catch (err) {
        throw new AppError('CATALOG_REQUEST_INVALID', `filter: invalid JSON: ${(err as Error).message}`);
      }
    }
    const query = parseQuery({ ...request.query, filter }, { ...apiLimits, filter: catalog.limits });
    return listResponse(await catalog.query(query), query.skip, query.limit);
  });

  app.post('/query', read, async (request) => {
    const body = request.body ?? {};
    if (!isObject(body))
      throw new AppError(
        'CATALOG_REQUEST_INVALID',
        'query: expected {"filter": {...}, "sort": ..., "limit": ...}',
      );
    const stray = Object.keys(body).find((k) => !(queryEnvelopeKeys as readonly string[]).includes(k));
    if (stray !== undefined) {
      throw new AppError(
        'CATALOG_REQUEST_INVALID',
        `query: unknown key '${stray}' (known: ${queryEnvelopeKeys.join(', ')})`,
      );
    }
    const query = parseQuery(body, { ...apiLimits, filter: catalog.limits });
    return listResponse(await catalog.query(query), query.skip, query.limit);
  });

  app.get<IdParams>('/entries/:id', read, async (request) => catalog.get(request.params.id));

  app.patch<IdParams>('/entries/:id', write, async (request) =>
    catalog.update(
      request.params.id,
      requireObject(request.body, 'the update, e.g. {"$set": {...}}'),
      mayUse(request),
    ),
  );

  app.delete<IdParams>('/entries/:id', write, async (request, reply: FastifyReply) => {
    await catalog.delete(request.params.id);
    return reply.code(204).send();
  });

  app.post<IdParams>('/entries/:id/health', read, async (request) => catalog.checkHealth(request.params.id));

  app.get<IdParams & { Querystring: { limit?: string } }>(
    '/entries/:id/health',
    read,
    async (request: FastifyRequest<IdParams & { Querystring: { limit?: string } }>) => {
      const limit = request.query.limit === undefined ? 20 : Number(request.query.limit);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
        throw new AppError('CATALOG_REQUEST_INVALID', 'limit: expected an integer from 1 to 1000');
      }
      const history = await catalog.healthHistory(request.params.id, limit);
      return { latest: history[0] ?? null, history };
    },
  );
}
