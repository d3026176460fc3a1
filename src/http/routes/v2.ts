import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors/index.js';
import { assertRepositoryName, type Distribution } from '../../oci/index.js';
import { allowedMethods, ociTargetOf, type OciTarget } from '../oci-router.js';
import { sendOciError } from '../oci-errors.js';
import { handleBlob } from './v2/blobs.js';
import { handleManifest } from './v2/manifests.js';
import { handleUpload, handleUploadStart } from './v2/uploads.js';
import { handleCatalog, handleReferrers, handleTags } from './v2/listings.js';
import type { PullThrough } from '../../proxy/index.js';

export interface V2Options {
  distribution: Distribution;
  deleteEnabled: boolean;
  readOnly: boolean;
  manifestLimit: number;
  /** GET of a blob answers 307 to the backend's short-lived URL when it has one (registry:2's default). */
  redirect: boolean;
  /** Pull-through caches: a read miss of a proxy registry asks its upstream; writes are refused. */
  proxy?: PullThrough;
}

const apiVersion = 'registry/2.0';

/**
 * The OCI Distribution API under /v2/: one handler matches the path, checks what holds for every
 * endpoint (method, repository name, read-only mode, deletes enabled) and hands over to the
 * endpoint's handler (`v2/`).
 */
export async function v2Routes(app: FastifyInstance, options: V2Options): Promise<void> {
  const { distribution } = options;

  // Bodies are streamed by the handlers themselves; nothing is buffered or parsed on the way in.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  // The access guard (an app-wide hook) has already authenticated and authorized the request.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('Docker-Distribution-API-Version', apiVersion);
  });
  app.setErrorHandler((err, request, reply) => sendOciError(err, request, reply));

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?', 1)[0]!;
    const target = ociTargetOf(path);
    if (!target) throw new AppError('NAME_INVALID', 'malformed path');
    request.ociTarget = target.kind;
    if (target.kind === 'none') {
      throw new AppError('NAME_UNKNOWN', 'no such endpoint', { path });
    }
    if (!allowedMethods[target.kind].includes(request.method)) {
      reply.header('Allow', allowedMethods[target.kind].join(', '));
      throw new AppError('UNSUPPORTED', `method ${request.method} not allowed here`);
    }
    if ('name' in target) assertRepositoryName(target.name);
    const reading = request.method === 'GET' || request.method === 'HEAD';
    if ('name' in target && !reading && options.proxy?.covers(target.name)) {
      throw new AppError(
        'UNSUPPORTED',
        'a proxy registry is a pull-through cache of its upstream: no pushes or deletes',
      );
    }
    if (options.readOnly && request.method !== 'GET' && request.method !== 'HEAD') {
      throw new AppError('UNSUPPORTED', 'the registry is in read-only mode');
    }
    // Deleting a manifest or a blob; an upload's DELETE only cancels it.
    if (request.method === 'DELETE' && target.kind !== 'upload' && !options.deleteEnabled) {
      throw new AppError('UNSUPPORTED', 'deletes are disabled (storage.delete.enabled)');
    }
    return dispatch(target, request, reply);
  };

  app.route({ method: ['GET', 'HEAD'], url: '/v2', handler, exposeHeadRoute: false });
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/v2/*',
    handler,
    exposeHeadRoute: false,
  });

  async function dispatch(target: OciTarget, request: FastifyRequest, reply: FastifyReply) {
    switch (target.kind) {
      case 'base':
        return reply.type('application/json').send({});
      case 'catalog':
        return handleCatalog(distribution, request, reply);
      case 'manifest':
        if (options.proxy && (request.method === 'GET' || request.method === 'HEAD'))
          await options.proxy.manifest(target.name, target.reference);
        return handleManifest(distribution, options.manifestLimit, target, request, reply);
      case 'blob':
        return handleBlob(distribution, options.redirect, target, request, reply, options.proxy);
      case 'uploads':
        return handleUploadStart(distribution, target, request, reply);
      case 'upload':
        return handleUpload(distribution, target, request, reply);
      case 'tags':
        return handleTags(distribution, target, request, reply);
      case 'referrers':
        return handleReferrers(distribution, target, request, reply);
      case 'none':
        throw new AppError('NAME_UNKNOWN');
    }
  }
}
