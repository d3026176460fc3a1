import type { FastifyInstance } from 'fastify';
import type { AccessControl } from '../../access/index.js';
import { AppError, isAppError } from '../../errors/index.js';
import { challenge } from '../access-guard.js';
import { parseJsonBodies } from '../json-body.js';
import { sendProblem } from '../problem.js';
import { accessRoutes } from './access.js';
import { assetRoutes, type AssetRoutesOptions } from './assets.js';
import { catalogApiRoutes, type CatalogRoutesOptions } from './catalog.js';
import { credentialRoutes, type CredentialRoutesOptions } from './credentials.js';
import { registryRoutes, type RegistryRoutesOptions } from './registries.js';
import { jobRoutes, type JobRoutesOptions } from './jobs.js';
import { webhookRoutes, type WebhookRoutesOptions } from './webhooks.js';

export interface ApiRoutesOptions {
  access: AccessControl;
  /** The container-registry catalog's REST part (/api/v1/catalog). */
  catalog?: Omit<CatalogRoutesOptions, 'access'>;
  /** Encrypted credentials for other registries and buckets (/api/v1/credentials). */
  credentials?: Omit<CredentialRoutesOptions, 'access'>;
  /** Registries as resources (/api/v1/registries). */
  registries?: Omit<RegistryRoutesOptions, 'access'>;
  /** Versioned assets in registries (/api/v1/registries/<r>/models, …, /api/v1/assets). */
  assets?: Omit<AssetRoutesOptions, 'access'>;
  /** The job table (/api/v1/jobs). */
  jobs?: JobRoutesOptions;
  /** Webhooks per registry (/api/v1/registries/<r>/webhooks). */
  webhooks?: Omit<WebhookRoutesOptions, 'access'>;
}

/**
 * Arca's own API, one encapsulated plugin (registered at /api/v1): JSON bodies only, and every error,
 * an unknown path included, as problem+json by ONE handler. The route modules it registers only parse,
 * call and render; a new /api resource plugs in here and inherits both.
 */
export async function apiRoutes(app: FastifyInstance, options: ApiRoutesOptions): Promise<void> {
  const { access } = options;
  parseJsonBodies(app);
  app.setErrorHandler((err, request, reply) => {
    // Every 401 says how to sign in, a refusal decided after the guard (an anonymous caller of a
    // route open to anyone, refused by AccessControl) too; a challenge of the error's own wins.
    if (isAppError(err) && err.status === 401) reply.header('WWW-Authenticate', challenge(access, request));
    return sendProblem(err, request, reply);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      new AppError('NOT_FOUND', `no such endpoint: ${request.method} ${request.url.split('?', 1)[0]}`),
      request,
      reply,
    ),
  );

  await app.register(accessRoutes, { access });
  if (options.registries) await app.register(registryRoutes, { ...options.registries, access });
  if (options.assets) await app.register(assetRoutes, { ...options.assets, access });
  if (options.jobs) await app.register(jobRoutes, options.jobs);
  if (options.webhooks) await app.register(webhookRoutes, { ...options.webhooks, access });
  if (options.credentials) await app.register(credentialRoutes, { ...options.credentials, access });
  if (options.catalog)
    await app.register(catalogApiRoutes, { ...options.catalog, access, prefix: '/catalog' });
}
