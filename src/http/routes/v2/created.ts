import type { FastifyReply } from 'fastify';

/** 201 for a stored blob or manifest: where it is and its digest. */
export function created(reply: FastifyReply, location: string, digest: string): FastifyReply {
  return reply
    .code(201)
    .header('Location', location)
    .header('Docker-Content-Digest', digest)
    .header('Content-Length', 0)
    .send();
}
