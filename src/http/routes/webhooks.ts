import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessControl, Permission } from '../../access/index.js';
import type { WebhookService } from '../../notifications/index.js';
import type { RegistryService } from '../../registries/index.js';

export interface WebhookRoutesOptions {
  webhooks: WebhookService;
  registries: RegistryService;
  access: AccessControl;
}

type Params = { Params: { name: string; id?: string } };

/**
 * `/api/v1/registries/<r>/webhooks`: where a registry's events are delivered. Listing and showing
 * need `registries/read` on the registry, creating and deleting `registries/write`. The secret is
 * taken once and never shown again.
 */
export async function webhookRoutes(app: FastifyInstance, options: WebhookRoutesOptions): Promise<void> {
  const { webhooks, registries, access } = options;
  const signedIn = { config: { access: 'authenticated' as const } };

  /** The registry's path once the caller may do `permission` on it. */
  const registryFor = async (request: FastifyRequest<Params>, permission: Permission) => {
    const view = await registries.get(request.params.name);
    await access.authorize(request.caller, permission, { registry: view.path, namespace: view.namespace });
    return view.path;
  };
  const by = (request: FastifyRequest) =>
    request.caller && request.caller.kind !== 'anonymous' ? request.caller.name : null;

  app.get<Params>('/registries/:name/webhooks', signedIn, async (request) => ({
    items: await webhooks.list(await registryFor(request, 'registries/read')),
  }));

  app.post<Params>('/registries/:name/webhooks', signedIn, async (request, reply) => {
    const registry = await registryFor(request, 'registries/write');
    const created = await webhooks.create(registry, request.body, by(request));
    return reply
      .code(201)
      .header(
        'Location',
        `/api/v1/registries/${encodeURIComponent(request.params.name)}/webhooks/${created.id}`,
      )
      .send(created);
  });

  app.get<Params>('/registries/:name/webhooks/:id', signedIn, async (request) =>
    webhooks.get(await registryFor(request, 'registries/read'), request.params.id!),
  );

  app.delete<Params>('/registries/:name/webhooks/:id', signedIn, async (request, reply) => {
    await webhooks.delete(await registryFor(request, 'registries/write'), request.params.id!);
    return reply.code(204).send();
  });
}
