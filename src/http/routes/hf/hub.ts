import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../errors/index.js';
import { parseJsonBodies } from '../../json-body.js';
import type { HubRoutesOptions } from './hub-context.js';
import { hubDownloadRoutes } from './hub-downloads.js';
import { hubTransferRoutes } from './hub-transfers.js';
import { hubUploadRoutes } from './hub-uploads.js';
import { sendHubError } from './hub-errors.js';

export type { HubRoutesOptions } from './hub-context.js';

/**
 * The Hugging Face Hub-compatible surface, one encapsulated plugin (registered at /hf): the paths
 * the Hub clients append to `HF_ENDPOINT`/`hubUrl`, every error in the Hub's dialect (`{"error"}`
 * with `X-Error-Code`) by ONE handler. JSON and form bodies for the API; commit and LFS bodies are
 * streams (their own child plugin).
 */
export async function hfRoutes(app: FastifyInstance, options: HubRoutesOptions): Promise<void> {
  parseJsonBodies(app, { form: true });
  app.setErrorHandler((err, request, reply) => sendHubError(err, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendHubError(
      new AppError('NOT_FOUND', `no such endpoint: ${request.method} ${request.url.split('?', 1)[0]}`),
      request,
      reply,
    ),
  );
  // Only the services: the options this plugin got carry its own prefix.
  const services: HubRoutesOptions = { hub: options.hub, redirect: options.redirect };
  await app.register(hubDownloadRoutes, services);
  await app.register(hubUploadRoutes, services);
  await app.register(hubTransferRoutes, services);
}
