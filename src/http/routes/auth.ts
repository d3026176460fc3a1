import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessControl, Caller } from '../../access/index.js';
import { AppError, errorCodes } from '../../errors/index.js';
import { basicCredentials, isEmptyBasic } from '../basic-auth.js';
import { parseJsonBodies } from '../json-body.js';
import { asAppError } from '../problem.js';
import { quotedString } from '../quoted-string.js';

export interface AuthRoutesOptions {
  access: AccessControl;
}

type Query = Record<string, string | string[] | undefined>;

function all(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Arca's token service, the Docker token protocol at `/auth/token`:
 * - GET with Basic credentials (a password, or a service account's API key) or none (anonymous),
 *   `service`, one or more `scope`s, `offline_token=true` for a refresh token as well;
 * - POST (OAuth2, form-encoded) with `grant_type=password` (username, password) or
 *   `grant_type=refresh_token`, and `access_type=offline` for a refresh token.
 * The token carries exactly the actions of the requested scopes the caller is allowed.
 * Also `GET /auth/jwks` (the public keys that verify tokens) and `POST /auth/revoke` (ends a
 * refresh token, e.g. at `arca logout`).
 */
export async function authRoutes(app: FastifyInstance, options: AuthRoutesOptions): Promise<void> {
  const { access } = options;
  const service = access.settings.token.service;

  // OAuth2 posts forms to /auth/token; JSON is taken too; anything else is a 415.
  parseJsonBodies(app, { form: true, bodyLimit: 64 * 1024 });

  // The Docker token dialect: `{"errors": [...]}` with the registry's codes; OAuth2's own for POST.
  app.setErrorHandler((err, request, reply) => {
    const error = asAppError(err, request);
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
    if (error.status === 401) reply.header('WWW-Authenticate', `Basic realm=${quotedString(service)}`);
    reply.code(error.status).header('Cache-Control', 'no-store');
    if (request.method === 'POST') {
      const oauth =
        error.status === 401 ? 'invalid_grant' : error.status === 429 ? 'slow_down' : 'invalid_request';
      return reply.send({ error: oauth, error_description: error.message });
    }
    return reply.send({
      errors: [{ code: error.code, message: error.message || errorCodes[error.code].message }],
    });
  });

  function checkService(given: string | undefined): void {
    if (given !== undefined && given !== '' && given !== service) {
      throw new AppError(
        'REQUEST_INVALID',
        `unknown service '${given.slice(0, 100)}' (this is '${service}')`,
      );
    }
  }

  async function login(request: FastifyRequest, username: string, password: string): Promise<Caller> {
    request.auditActor = username;
    return access.authenticator.password(username, password, request.ip);
  }

  app.get<{ Querystring: Query }>('/auth/token', { config: { access: 'public' } }, async (request, reply) => {
    const query = request.query;
    checkService(one(query.service));
    const header = request.headers.authorization;
    let caller: Caller = { kind: 'anonymous' };
    if (header !== undefined && !isEmptyBasic(header)) {
      const basic = basicCredentials(header);
      if (!basic) throw new AppError('UNAUTHORIZED', 'expected Basic credentials');
      caller = await login(request, basic.user, basic.password);
    }
    const issued = await access.issueToken(caller, all(query.scope), {
      refresh: one(query.offline_token) === 'true',
    });
    const body: Record<string, unknown> = {
      token: issued.token,
      access_token: issued.token,
      expires_in: issued.expiresIn,
      issued_at: issued.issuedAt.toISOString(),
    };
    if (issued.refreshToken !== undefined) body.refresh_token = issued.refreshToken;
    return reply.header('Cache-Control', 'no-store').send(body);
  });

  app.post<{ Body: Query | undefined }>(
    '/auth/token',
    { config: { access: 'public' } },
    async (request, reply) => {
      const body = request.body ?? {};
      checkService(one(body.service));
      const grant = one(body.grant_type);
      let caller: Caller;
      if (grant === 'password') {
        const username = one(body.username);
        const password = one(body.password);
        if (!username || password === undefined) {
          throw new AppError('REQUEST_INVALID', 'grant_type=password needs username and password');
        }
        caller = await login(request, username, password);
      } else if (grant === 'refresh_token') {
        const refresh = one(body.refresh_token);
        if (!refresh) throw new AppError('REQUEST_INVALID', 'grant_type=refresh_token needs refresh_token');
        caller = await access.authenticator.refreshToken(refresh, request.ip);
      } else {
        throw new AppError('REQUEST_INVALID', "grant_type: expected 'password' or 'refresh_token'");
      }
      const scopes = all(body.scope);
      // A refresh grant keeps its refresh token; a password grant gets one when asked for offline access.
      const issued = await access.issueToken(caller, scopes, {
        refresh: grant === 'password' && one(body.access_type) === 'offline',
      });
      const answer: Record<string, unknown> = {
        access_token: issued.token,
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        issued_at: issued.issuedAt.toISOString(),
        scope: scopes.join(' '),
      };
      if (issued.refreshToken !== undefined) answer.refresh_token = issued.refreshToken;
      return reply.header('Cache-Control', 'no-store').send(answer);
    },
  );

  app.post<{ Body: Query | undefined }>(
    '/auth/revoke',
    { config: { access: 'public' } },
    async (request, reply) => {
      const token = one(request.body?.token);
      // RFC 7009: the answer is the same whether or not the token was valid.
      if (token) await access.authenticator.revokeRefreshToken(token);
      return reply.code(200).send({});
    },
  );

  app.get('/auth/jwks', { config: { access: 'public' } }, async (_request, reply: FastifyReply) =>
    reply.header('Cache-Control', 'max-age=60').send(access.signingKeys!.jwks()),
  );
}
