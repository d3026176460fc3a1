import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../errors/index.js';
import { assertRepositoryName, rangeHeader, type Distribution } from '../../../oci/index.js';
import type { OciTarget } from '../../oci-router.js';
import { contentLength, hasBody, parseContentRange } from '../../request-body.js';
import { created } from './created.js';

/** POST `…/blobs/uploads/`: a cross-repository mount, a monolithic upload, or a new session. */
export async function handleUploadStart(
  distribution: Distribution,
  { name }: Extract<OciTarget, { kind: 'uploads' }>,
  request: FastifyRequest,
  reply: FastifyReply,
) {
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

/** One upload session: its status (GET), a chunk (PATCH), the closing PUT, or its cancelling DELETE. */
export async function handleUpload(
  distribution: Distribution,
  { name, id }: Extract<OciTarget, { kind: 'upload' }>,
  request: FastifyRequest,
  reply: FastifyReply,
) {
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

/** Whom an upload session counts against: the signed-in caller, else the client's address. */
function uploadOwner(request: FastifyRequest): string {
  return request.user !== undefined ? `user:${request.user}` : `address:${request.ip}`;
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
