import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Distribution } from '../../../oci/index.js';
import type { OciTarget } from '../../oci-router.js';
import { isRelayable, sendFile, sendRelayed } from '../../send-file.js';
import { parseByteRange } from '../../request-body.js';

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
) {
  if (request.method === 'DELETE') {
    await distribution.blobs.delete(name, digest);
    return reply.code(202).header('Docker-Content-Digest', digest).header('Content-Length', 0).send();
  }
  const size = await distribution.blobs.stat(name, digest);
  if (request.method === 'GET' && redirect) {
    const location = await distribution.blobs.redirectURL(name, digest);
    if (location) {
      return reply
        .code(307)
        .header('Location', location)
        .header('Docker-Content-Digest', digest)
        .header('Content-Length', 0)
        .send();
    }
  }
  const range = parseByteRange(request.headers.range, size);
  // Open the bytes before any header goes out, so a missing file is still a clean 404.
  const body = request.method === 'HEAD' ? undefined : await distribution.blobs.read(name, digest, range);
  reply
    .header('Docker-Content-Digest', digest)
    .header('Accept-Ranges', 'bytes')
    .header('ETag', `"${digest}"`)
    .header('Cache-Control', 'max-age=31536000')
    .type('application/octet-stream');
  if (range) {
    reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  }
  const length = range ? range.end - range.start + 1 : size;
  reply.header('Content-Length', length);
  // Exactly Content-Length bytes, whatever the file's size; one that ends early cuts the connection.
  if (body?.fd !== undefined) return sendFile(reply, { fd: body.fd, start: range?.start ?? 0, length });
  if (body?.stream && isRelayable(body.stream)) return sendRelayed(reply, body.stream);
  return reply.send(body?.stream);
}
