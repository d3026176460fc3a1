import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError, ociCodeOf } from '../errors/index.js';

/** Render any error in the OCI dialect: `{"errors":[{code,message,detail}]}`. Internals never leak. */
export function sendOciError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let error: AppError;
  if (isAppError(err)) {
    error = err;
  } else if (isClientBodyError(err)) {
    error = new AppError('SIZE_INVALID', 'request body ended early or was malformed');
  } else {
    request.log.error({ err }, 'request failed');
    error = new AppError('UNKNOWN', 'internal server error');
  }
  if (error.status >= 500 && isAppError(err)) request.log.error({ err }, 'request failed');
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  if (error.status >= 400 && hasUnreadBody(request)) reply.header('Connection', 'close');
  return reply
    .code(error.status)
    .type('application/json; charset=utf-8')
    .send({
      errors: [{ code: ociCodeOf(error.code), message: error.message, detail: error.detail ?? null }],
    });
}

function isClientBodyError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error)?.message === 'aborted'
  );
}

/** A body we never read would be parsed as the next request on a kept-alive connection. */
function hasUnreadBody(request: FastifyRequest): boolean {
  return !request.raw.readableEnded && (request.headers['content-length'] ?? '0') !== '0';
}
