import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PullThrough } from '../../../proxy/index.js';
import type { OciTarget } from '../../oci-router.js';

/**
 * A GET or HEAD of a blob a proxy registry does not hold yet: the upstream's size for a HEAD, or
 * the bytes as they arrive from the upstream (while they are stored). Undefined when the blob is in
 * the cache (now): the caller serves it as any blob.
 */
export async function sendProxiedBlob(
  proxy: PullThrough,
  { name, digest }: Extract<OciTarget, { kind: 'blob' }>,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const blob = await proxy.blob(name, digest, {
    head: request.method === 'HEAD',
    range: request.headers.range !== undefined,
  });
  if (!blob) return undefined;
  reply
    .header('Docker-Content-Digest', digest)
    .header('ETag', `"${digest}"`)
    .header('Content-Length', blob.size)
    .type('application/octet-stream');
  if (!blob.stream) return reply.send();
  const stream = blob.stream;
  // A client that leaves drops its own stream only; the fill goes on for the others.
  reply.raw.once('close', () => stream.destroy());
  return reply.send(stream);
}
