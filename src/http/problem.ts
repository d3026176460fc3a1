import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, codeForStatus, errorCodes, isAppError } from '../errors/index.js';

/**
 * Any error as an AppError: Fastify's own client errors (bad body, too large, wrong media type) become
 * the code registered for their 4xx status; anything else is logged and becomes a 500 that leaks nothing.
 */
export function asAppError(err: unknown, request: FastifyRequest): AppError {
  if (isAppError(err)) {
    if (err.status >= 500) request.log.error({ err }, 'request failed');
    return err;
  }
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(codeForStatus(status), (err as Error).message);
  }
  request.log.error({ err }, 'request failed');
  return new AppError('UNKNOWN', 'internal server error');
}

/** Render an error as RFC 9457 problem details (`application/problem+json`), the dialect of /api. */
export function sendProblem(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = asAppError(err, request);
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.status)
    .type('application/problem+json; charset=utf-8')
    .send({
      type: `urn:arca:error:${error.code.toLowerCase().replace(/_/g, '-')}`,
      title: errorCodes[error.code].message,
      status: error.status,
      detail: error.message,
      instance: request.url.split('?', 1)[0],
      code: error.code,
    });
}
