import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessControl, Permission } from '../../access/index.js';
import { AppError } from '../../errors/index.js';
import type { BrowserTransfers, RegistryService, RegistryView } from '../../registries/index.js';

export interface RegistryRoutesOptions {
  service: RegistryService;
  access: AccessControl;
  /** Browser uploads straight to a registry's bucket. */
  transfers?: BrowserTransfers;
}

type Params = { Params: { name: string }; Querystring: Record<string, string | undefined> };

/**
 * `/api/v1/registries`: registries as resources. Reading needs `registries/read`, creating and
 * changing `registries/write`, deleting `registries/delete`, each at `/`, the registry's namespace
 * or the registry itself.
 */
export async function registryRoutes(app: FastifyInstance, options: RegistryRoutesOptions): Promise<void> {
  const { service, access } = options;

  const signedIn = { config: { access: 'authenticated' as const } };

  const require = (
    request: FastifyRequest,
    permission: Permission,
    view: Pick<RegistryView, 'path' | 'namespace'>,
  ) => access.authorize(request.caller, permission, { registry: view.path, namespace: view.namespace });
  const by = (request: FastifyRequest) =>
    request.caller && request.caller.kind !== 'anonymous' ? request.caller.name : null;

  const transfers = () => {
    if (!options.transfers) throw new AppError('UNSUPPORTED', 'browser uploads are not available');
    return options.transfers;
  };
  // Direct uploads go to any registry (the default and static ones too), for registries/assets/write.
  const uploadsIn = async (request: FastifyRequest, name: string) => {
    const where = transfers().locate(name);
    await access.authorize(request.caller, 'registries/assets/write', where);
    return { path: where.registry };
  };

  app.get<{ Querystring: Record<string, string | undefined> }>('/registries', signedIn, async (request) => {
    const all = await service.list(request.query.namespace);
    const visible: RegistryView[] = [];
    for (const r of all) {
      if (
        await access.allows(request.caller, 'registries/read', { registry: r.path, namespace: r.namespace })
      )
        visible.push(r);
    }
    return { items: visible };
  });

  app.post('/registries', signedIn, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const name = typeof body.name === 'string' ? body.name : '';
    const namespace = typeof body.namespace === 'string' ? body.namespace : 'default';
    await require(request, 'registries/write', { path: name, namespace });
    const created = await service.create(body, by(request));
    return reply
      .code(201)
      .header('Location', `/api/v1/registries/${encodeURIComponent(created.name)}`)
      .send(created);
  });

  app.get<Params>('/registries/:name', signedIn, async (request) => {
    const view = await service.get(request.params.name);
    await require(request, 'registries/read', view);
    return view;
  });

  app.patch<Params>('/registries/:name', signedIn, async (request) => {
    await require(request, 'registries/write', await service.get(request.params.name));
    return service.update(request.params.name, request.body);
  });

  app.post<Params>('/registries/:name/default', signedIn, async (request) => {
    await require(request, 'registries/write', await service.get(request.params.name));
    return service.setDefault(request.params.name);
  });

  app.post<Params>('/registries/:name/probe', signedIn, async (request) => {
    await require(request, 'registries/read', await service.get(request.params.name));
    return service.probe(request.params.name);
  });

  // A presigned PUT for a browser to send a blob straight to the registry's bucket, then completion.
  app.post<Params>('/registries/:name/browser-uploads', signedIn, async (request, reply) => {
    const view = await uploadsIn(request, request.params.name);
    const body = (request.body ?? {}) as { repository?: unknown; size?: unknown; part_size?: unknown };
    const started = await transfers().start(view.path, repositoryOf(body), {
      size: optionalCount(body.size, 'size'),
      partSize: optionalCount(body.part_size, 'part_size'),
    });
    return reply.code(201).header('Cache-Control', 'no-store').send(started);
  });

  // URLs for parts of a multipart upload, with the parts stored already (a resumed upload skips them).
  app.post<{ Params: { name: string; id: string } }>(
    '/registries/:name/browser-uploads/:id/parts',
    signedIn,
    async (request, reply) => {
      const view = await uploadsIn(request, request.params.name);
      const body = (request.body ?? {}) as { repository?: unknown; numbers?: unknown };
      const numbers = body.numbers ?? [];
      if (!Array.isArray(numbers) || !numbers.every((n) => typeof n === 'number'))
        throw new AppError('REGISTRY_INVALID', 'body.numbers: a list of part numbers');
      const parts = await transfers().parts(view.path, request.params.id, repositoryOf(body), numbers);
      return reply.header('Cache-Control', 'no-store').send(parts);
    },
  );

  app.delete<{ Params: { name: string; id: string }; Querystring: { repository?: string } }>(
    '/registries/:name/browser-uploads/:id',
    signedIn,
    async (request, reply) => {
      const view = await uploadsIn(request, request.params.name);
      await transfers().abort(view.path, request.params.id, repositoryOf(request.query));
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { name: string; id: string } }>(
    '/registries/:name/browser-uploads/:id/complete',
    signedIn,
    async (request, reply) => {
      const view = await uploadsIn(request, request.params.name);
      const body = (request.body ?? {}) as {
        repository?: unknown;
        digest?: unknown;
        size?: unknown;
        parts?: unknown;
      };
      if (typeof body.repository !== 'string' || typeof body.digest !== 'string') {
        throw new AppError('REGISTRY_INVALID', 'body: repository and digest are required');
      }
      const parts = body.parts;
      if (
        parts !== undefined &&
        (!Array.isArray(parts) ||
          !parts.every(
            (p: { number?: unknown; etag?: unknown }) =>
              typeof p?.number === 'number' && typeof p?.etag === 'string',
          ))
      )
        throw new AppError('REGISTRY_INVALID', 'body.parts: a list of {number, etag}');
      const done = await transfers().complete(view.path, request.params.id, body.repository, body.digest, {
        size: optionalCount(body.size, 'size'),
        parts: parts as { number: number; etag: string }[] | undefined,
      });
      return reply.code(201).header('Location', done.location).send(done);
    },
  );

  app.delete<Params>('/registries/:name', signedIn, async (request) => {
    await require(request, 'registries/delete', await service.get(request.params.name));
    const force = request.query.force === 'true' || request.query.force === '1';
    return service.delete(request.params.name, force);
  });
}

function repositoryOf(body: { repository?: unknown }): string {
  if (typeof body.repository !== 'string') throw new AppError('REGISTRY_INVALID', 'repository: required');
  return body.repository;
}

function optionalCount(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new AppError('REGISTRY_INVALID', `${field}: a number of bytes`);
  return value;
}
