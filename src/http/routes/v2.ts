import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors/index.js';
import { assertRepositoryName, mediaTypes, rangeHeader, type Distribution } from '../../oci/index.js';
import { allowedMethods, matchOciPath, type OciTarget } from '../oci-router.js';
import { sendOciError } from '../oci-errors.js';
import { sendBlob } from '../send-blob.js';
import { contentLength, hasBody, parseContentRange, readLimited } from '../request-body.js';

export interface V2Options {
  distribution: Distribution;
  deleteEnabled: boolean;
  readOnly: boolean;
  manifestLimit: number;
  /** GET of a blob answers 307 to the backend's short-lived URL when it has one (registry:2's default). */
  redirect: boolean;
}

const maxPageSize = 10_000;
/** A referrers page stops near this many bytes (the spec lets a registry truncate, with a Link). */
const referrersPageBytes = 1 << 20;
const apiVersion = 'registry/2.0';

/** The OCI Distribution API under /v2/. */
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
    let rest: string;
    try {
      rest = decodeURIComponent(path.replace(/^\/v2\/?/, ''));
    } catch {
      throw new AppError('NAME_INVALID', 'malformed path');
    }
    const target = matchOciPath(rest);
    request.ociTarget = target.kind;
    if (target.kind === 'none') {
      throw new AppError('NAME_UNKNOWN', 'no such endpoint', { path });
    }
    if (!allowedMethods[target.kind].includes(request.method)) {
      reply.header('Allow', allowedMethods[target.kind].join(', '));
      throw new AppError('UNSUPPORTED', `method ${request.method} not allowed here`);
    }
    if ('name' in target) assertRepositoryName(target.name);
    if (options.readOnly && request.method !== 'GET' && request.method !== 'HEAD') {
      throw new AppError('UNSUPPORTED', 'the registry is in read-only mode');
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
        return catalog(request, reply);
      case 'manifest':
        return manifest(target.name, target.reference, request, reply);
      case 'blob':
        return blob(target.name, target.digest, request, reply);
      case 'uploads':
        return startUpload(target.name, request, reply);
      case 'upload':
        return upload(target.name, target.id, request, reply);
      case 'tags':
        return tags(target.name, request, reply);
      case 'referrers':
        return referrers(target.name, target.digest, request, reply);
      case 'none':
        throw new AppError('NAME_UNKNOWN');
    }
  }

  async function catalog(request: FastifyRequest, reply: FastifyReply) {
    const { n, last } = pagination(request, 1000);
    const visible = request.repositoryVisible;
    let repositories: string[] = [];
    if (n > 0 && !visible) repositories = await distribution.catalog(n + 1, last);
    else if (n > 0 && visible) {
      // Only what the caller may read, paged over the filtered list so `last` and Link stay exact.
      let after = last;
      for (;;) {
        const batch = await distribution.catalog(1000, after);
        repositories.push(...batch.filter(visible));
        if (repositories.length > n || batch.length < 1000) break;
        after = batch.at(-1);
      }
    }
    const page = repositories.slice(0, n);
    if (repositories.length > n) linkNext(reply, '/v2/_catalog', n, page.at(-1)!);
    return reply.send({ repositories: page });
  }

  async function tags(name: string, request: FastifyRequest, reply: FastifyReply) {
    const { n, last } = pagination(request, maxPageSize);
    const found = await distribution.manifests.tags(name, n + 1, last);
    const page = found.slice(0, n);
    if (found.length > n) linkNext(reply, `/v2/${name}/tags/list`, n, page.at(-1)!);
    return reply.send({ name, tags: page });
  }

  async function manifest(name: string, reference: string, request: FastifyRequest, reply: FastifyReply) {
    switch (request.method) {
      case 'GET':
      case 'HEAD': {
        const found = await distribution.manifests.get(name, reference);
        reply
          .header('Content-Type', found.media_type)
          .header('Docker-Content-Digest', found.digest)
          .header('ETag', `"${found.digest}"`)
          .header('Content-Length', found.payload.length);
        return request.method === 'HEAD' ? reply.send() : reply.send(found.payload);
      }
      case 'PUT': {
        const body = await readLimited(request.raw, options.manifestLimit);
        const result = await distribution.manifests.put(
          name,
          reference,
          body,
          request.headers['content-type'],
        );
        if (result.subject) reply.header('OCI-Subject', result.subject);
        return created(reply, `/v2/${name}/manifests/${result.digest}`, result.digest);
      }
      default: {
        requireDelete();
        await distribution.manifests.delete(name, reference);
        return reply.code(202).header('Content-Length', 0).send();
      }
    }
  }

  async function blob(name: string, digest: string, request: FastifyRequest, reply: FastifyReply) {
    if (request.method === 'DELETE') {
      requireDelete();
      await distribution.blobs.delete(name, digest);
      return reply.code(202).header('Docker-Content-Digest', digest).header('Content-Length', 0).send();
    }
    const size = await distribution.blobs.stat(name, digest);
    return sendBlob(distribution, request, reply, {
      repository: name,
      digest,
      size,
      redirect: options.redirect,
    });
  }

  async function startUpload(name: string, request: FastifyRequest, reply: FastifyReply) {
    const query = request.query as Record<string, string | undefined>;
    if (query.mount !== undefined) {
      const from = query.from;
      // Mounting reads the source: without pull there, it falls back to an upload, as registry:2 does.
      const mayRead = request.crossMountAllowed !== false;
      if (
        from !== undefined &&
        mayRead &&
        (await distribution.blobs.mount(name, query.mount, assertRepositoryName(from)))
      ) {
        request.raw.resume();
        return created(reply, `/v2/${name}/blobs/${query.mount}`, query.mount);
      }
    }
    if (query.digest !== undefined) {
      await distribution.uploads.monolithic(
        name,
        query.digest,
        request.raw,
        contentLength(request.raw),
        uploadOwner(request),
      );
      return created(reply, `/v2/${name}/blobs/${query.digest}`, query.digest);
    }
    request.raw.resume();
    const id = await distribution.uploads.start(name, uploadOwner(request));
    return uploadAccepted(reply, name, id, 0);
  }

  async function upload(name: string, id: string, request: FastifyRequest, reply: FastifyReply) {
    switch (request.method) {
      case 'GET': {
        const offset = await distribution.uploads.status(name, id);
        return uploadAccepted(reply, name, id, offset, 204);
      }
      case 'PATCH': {
        const range = parseContentRange(request.headers['content-range']);
        const offset = await distribution.uploads.append(
          name,
          id,
          request.raw,
          range,
          contentLength(request.raw),
        );
        return uploadAccepted(reply, name, id, offset);
      }
      case 'PUT': {
        const digest = (request.query as Record<string, string | undefined>).digest;
        if (digest === undefined)
          throw new AppError('DIGEST_INVALID', 'the digest query parameter is required');
        const body = hasBody(request.raw) ? request.raw : undefined;
        const range = body ? parseContentRange(request.headers['content-range']) : undefined;
        await distribution.uploads.complete(
          name,
          id,
          digest,
          body,
          range,
          body ? contentLength(request.raw) : undefined,
        );
        return created(reply, `/v2/${name}/blobs/${digest}`, digest);
      }
      default: {
        await distribution.uploads.cancel(name, id);
        return reply.code(204).send();
      }
    }
  }

  async function referrers(name: string, digest: string, request: FastifyRequest, reply: FastifyReply) {
    const query = request.query as Record<string, string | undefined>;
    const artifactType = query.artifactType;
    const page = await distribution.manifests.referrers(name, digest, {
      artifactType,
      after: query.last || undefined,
      maxBytes: referrersPageBytes,
      maxCount: maxPageSize,
    });
    if (artifactType !== undefined) reply.header('OCI-Filters-Applied', 'artifactType');
    if (page.next !== undefined) {
      const next = new URLSearchParams({
        ...(artifactType !== undefined ? { artifactType } : {}),
        last: page.next,
      });
      reply.header('Link', `</v2/${name}/referrers/${digest}?${next}>; rel="next"`);
    }
    // Sent as bytes: Fastify would append '; charset=utf-8' to a serialized object's media type.
    return reply.type(mediaTypes.ociIndex).send(Buffer.from(page.json));
  }

  function requireDelete(): void {
    if (!options.deleteEnabled) {
      throw new AppError('UNSUPPORTED', 'deletes are disabled (storage.delete.enabled)');
    }
  }
}

/** Whom an upload session counts against: the signed-in caller, else the client's address. */
function uploadOwner(request: FastifyRequest): string {
  return request.user !== undefined ? `user:${request.user}` : `address:${request.ip}`;
}

/** 201 for a stored blob or manifest: where it is and its digest. */
function created(reply: FastifyReply, location: string, digest: string): FastifyReply {
  return reply
    .code(201)
    .header('Location', location)
    .header('Docker-Content-Digest', digest)
    .header('Content-Length', 0)
    .send();
}

function uploadAccepted(
  reply: FastifyReply,
  name: string,
  id: string,
  offset: number,
  status = 202,
): FastifyReply {
  return reply
    .code(status)
    .header('Location', `/v2/${name}/blobs/uploads/${id}`)
    .header('Range', rangeHeader(offset))
    .header('Docker-Upload-UUID', id)
    .header('Content-Length', 0)
    .send();
}

function pagination(request: FastifyRequest, max: number): { n: number; last?: string } {
  const query = request.query as Record<string, string | undefined>;
  let n = max;
  if (query.n !== undefined) {
    n = Number(query.n);
    if (!/^\d+$/.test(query.n) || !Number.isSafeInteger(n)) {
      throw new AppError('PAGINATION_NUMBER_INVALID', 'n must be a non-negative integer', { n: query.n });
    }
    n = Math.min(n, max);
  }
  return { n, last: query.last || undefined };
}

function linkNext(reply: FastifyReply, path: string, n: number, last: string): void {
  reply.header('Link', `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`);
}
