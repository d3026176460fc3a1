import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Distribution } from '../oci/index.js';
import { isRelayable, sendFile, sendRelayed } from './send-file.js';
import { parseByteRange } from './request-body.js';

/**
 * Answer a GET or HEAD of a blob of a repository whose size is known: a 307 to the backend's
 * short-lived URL when `redirect` and the backend gives one; otherwise the bytes, or the `Range`
 * asked for (206, or 416 for one outside the blob), with `ETag` (the digest) and `Content-Length`.
 * The one blob read path of /v2 and of asset file downloads.
 */
export async function sendBlob(
  distribution: Distribution,
  request: FastifyRequest,
  reply: FastifyReply,
  blob: {
    repository: string;
    digest: string;
    size: number;
    redirect: boolean;
    contentType?: string;
    /** The ETag to send instead of the quoted digest (the Hub API's quoted sha256 hex). */
    etag?: string;
  },
): Promise<unknown> {
  const { repository: name, digest, size } = blob;
  if (request.method === 'GET' && blob.redirect) {
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
    .header('ETag', blob.etag ?? `"${digest}"`)
    .header('Cache-Control', 'max-age=31536000')
    .type(blob.contentType ?? 'application/octet-stream');
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
