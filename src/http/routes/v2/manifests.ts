import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Distribution } from '../../../oci/index.js';
import type { OciTarget } from '../../oci-router.js';
import { readLimited } from '../../request-body.js';
import { created } from './created.js';

/** GET or HEAD of a manifest by tag or digest, its PUT (a body of at most `limit` bytes), or its DELETE. */
export async function handleManifest(
  distribution: Distribution,
  limit: number,
  { name, reference }: Extract<OciTarget, { kind: 'manifest' }>,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  switch (request.method) {
    case 'GET':
    case 'HEAD': {
      // A GET is a client's pull (observers learn of it); a HEAD only asks.
      const found =
        request.method === 'GET'
          ? await distribution.manifests.pull(name, reference)
          : await distribution.manifests.get(name, reference);
      reply
        .header('Content-Type', found.media_type)
        .header('Docker-Content-Digest', found.digest)
        .header('ETag', `"${found.digest}"`)
        .header('Content-Length', found.payload.length);
      return request.method === 'HEAD' ? reply.send() : reply.send(found.payload);
    }
    case 'PUT': {
      const body = await readLimited(request.raw, limit);
      const result = await distribution.manifests.put(name, reference, body, request.headers['content-type']);
      if (result.subject) reply.header('OCI-Subject', result.subject);
      return created(reply, `/v2/${name}/manifests/${result.digest}`, result.digest);
    }
    default: {
      await distribution.manifests.delete(name, reference);
      return reply.code(202).header('Content-Length', 0).send();
    }
  }
}
