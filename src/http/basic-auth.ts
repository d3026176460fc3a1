import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/index.js';
import type { Htpasswd } from '../access/index.js';

/** The user name and password of a Basic Authorization header, or null. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** An onRequest hook that admits only htpasswd users, answering 401 with a Basic challenge otherwise. */
export function htpasswdGuard(htpasswd: Htpasswd, realm: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const credentials = basicCredentials(request.headers.authorization);
    if (credentials && (await htpasswd.verify(credentials.user, credentials.password))) {
      request.user = credentials.user;
      return;
    }
    if (credentials) request.log.warn({ user: credentials.user }, 'authentication failed');
    reply.header('WWW-Authenticate', `Basic realm="${realm.replace(/"/g, '')}"`);
    throw new AppError('UNAUTHORIZED', 'authentication required', [
      { Type: 'registry', Class: '', Name: 'catalog', Action: '*' },
    ]);
  };
}
