import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Distribution } from '../../../oci/index.js';
import type { OciTarget } from '../../oci-router.js';
import { sendBlob } from '../../send-blob.js';
import type { PullThrough } from '../../../proxy/index.js';
import { sendProxiedBlob } from './proxied-blob.js';

/**
 * GET or HEAD of a blob (whole, a range, or a 307 to the backend's short-lived URL when `redirect`),
 * or its DELETE.
 */
export async function handleBlob(
  distribution: Distribution,
  redirect: boolean,
  { name, digest }: Extract<OciTarget, { kind: 'blob' }>,
  request: FastifyRequest,
  reply: FastifyReply,
  proxy?: PullThrough,
) {
  if (proxy && request.method !== 'DELETE') {
    const sent = await sendProxiedBlob(proxy, { kind: 'blob', name, digest }, request, reply);
    if (sent) return sent;
  }
  if (request.method === 'DELETE') {
    await distribution.blobs.delete(name, digest);
    return reply.code(202).header('Docker-Content-Digest', digest).header('Content-Length', 0).send();
  }
  const size = await distribution.blobs.stat(name, digest);
  // A GET is a client's pull (observers learn of it), whether answered with the bytes or a redirect.
  if (request.method === 'GET') await distribution.blobs.pulled(name, digest, size);
  return sendBlob(distribution, request, reply, { repository: name, digest, size, redirect });
}
