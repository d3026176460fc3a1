import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../../errors/index.js';
import { asAppError } from '../../problem.js';

/** The Hub's `X-Error-Code` for Arca's codes that clients act on. */
const hubCodes: Partial<Record<ErrorCode, string>> = {
  REGISTRY_UNKNOWN: 'RepoNotFound',
  ASSET_UNKNOWN: 'RepoNotFound',
  ASSET_VERSION_UNKNOWN: 'RevisionNotFound',
  ASSET_FILE_UNKNOWN: 'EntryNotFound',
};

/**
 * Render any error in the Hub's dialect: the status, `{"error": "<message>"}` and, where the clients
 * read one, `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound). The same `AppError` as
 * every surface, rendered here, never problem+json.
 */
export function sendHubError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = asAppError(err, request);
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  const code = error.headers['X-Error-Code'] ?? hubCodes[error.code];
  if (code) reply.header('X-Error-Code', code);
  return reply.code(error.status).type('application/json; charset=utf-8').send({ error: error.message });
}
