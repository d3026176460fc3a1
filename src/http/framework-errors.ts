import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/index.js';
import { sendOciError } from './oci-errors.js';
import { sendProblem } from './problem.js';
import { sendHubError } from './routes/hf/hub-errors.js';

/**
 * Fastify's own refusals before any route matched (a URL that does not decode, a path segment longer
 * than the router takes), answered in the dialect of the surface the path names — the OCI error
 * body on /v2, the Hub's on /hf, problem+json elsewhere — instead of Fastify's bare JSON.
 */
export function sendFrameworkError(
  err: Error & { code?: string },
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const error =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError('URI_TOO_LONG', 'a path segment is too long')
      : new AppError('REQUEST_INVALID', 'the URL is not valid (a bad percent-encoding?)');
  const path = request.raw.url ?? '';
  if (path === '/v2' || path.startsWith('/v2/')) return sendOciError(error, request, reply);
  if (path.startsWith('/hf/')) return sendHubError(error, request, reply);
  return sendProblem(error, request, reply);
}
