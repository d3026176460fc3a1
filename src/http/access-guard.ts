import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  secretId,
  TokenRejected,
  type AccessControl,
  type AuditEvent,
  type Caller,
  type VerifiedToken,
} from '../access/index.js';
import { AppError } from '../errors/index.js';
import { requiredAccess, type AccessNeed } from './access-needs.js';
import { basicCredentials, isEmptyBasic } from './basic-auth.js';
import { quotedString } from './quoted-string.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, once the access guard has run (anonymous when nobody signed in). */
    caller?: Caller;
    /** What the request needed, as decided by requiredAccess. */
    accessNeed?: AccessNeed;
    /** For `/v2/_catalog`: which repositories this caller may see. */
    repositoryVisible?: (repository: string) => boolean;
    /** For a cross-repository mount: may the caller read the source repository? */
    crossMountAllowed?: boolean;
    /** The token the request carried, when it carried one. */
    bearer?: VerifiedToken;
    /** For the audit log: the account a refused login named, and why a request was refused. */
    auditActor?: string;
    refusal?: { code: string; message: string };
  }
}

const apiVersion = 'registry/2.0';

/** The challenge a 401 carries: Basic for htpasswd, Bearer pointing at the token service otherwise. */
export function challenge(
  access: AccessControl,
  request: FastifyRequest,
  extra: { scope?: string; error?: string } = {},
): string {
  const auth = access.settings.auth;
  if (auth.kind === 'htpasswd') return `Basic realm=${quotedString(auth.realm)}`;
  const realm = auth.kind === 'token' ? auth.realm : tokenRealm(access, request);
  const service = auth.kind === 'token' ? auth.service : access.settings.token.service;
  // Every value quoted and escaped: the realm may come from the request's Host header.
  const parts = [`realm=${quotedString(realm)}`, `service=${quotedString(service)}`];
  if (extra.scope) parts.push(`scope=${quotedString(extra.scope)}`);
  if (extra.error) parts.push(`error=${quotedString(extra.error)}`);
  return `Bearer ${parts.join(',')}`;
}

/** The token endpoint's URL: configured, or this server as the client reached it. */
export function tokenRealm(access: AccessControl, request: FastifyRequest): string {
  return access.settings.token.realm ?? `${request.protocol}://${request.host}/auth/token`;
}

function needScope(need: AccessNeed): string | undefined {
  if (need.kind === 'catalog') return 'registry:catalog:*';
  if (need.kind !== 'repository') return undefined;
  // Clients ask for pull with push, as registry:2 challenges them to.
  const actions = need.action === 'push' ? 'pull,push' : need.action;
  // A mount also reads its source: registry:2 asks for both in one challenge, space-separated.
  const source = need.mountFrom !== undefined ? ` repository:${need.mountFrom}:pull` : '';
  return `repository:${need.name}:${actions}${source}`;
}

function needDetail(need: AccessNeed): unknown {
  if (need.kind === 'repository')
    return [{ Type: 'repository', Class: '', Name: need.name, Action: need.action }];
  if (need.kind === 'catalog') return [{ Type: 'registry', Class: '', Name: 'catalog', Action: '*' }];
  if (need.kind === 'permission') return { permission: need.permission };
  return undefined;
}

/**
 * The one hook that enforces access on every route: authenticate the caller (Basic password or API
 * key, bearer token or API key, or nobody), then ask `AccessControl` whether it may have what
 * `requiredAccess` decided, and render the answer: 401 UNAUTHORIZED (with a challenge) when signing
 * in or a new token could help, 403 DENIED when the signed-in caller may not; with `auth: none`
 * everything passes.
 */
export function accessGuard(access: AccessControl) {
  const unauthorized = (request: FastifyRequest, need: AccessNeed, message: string, error?: string) =>
    new AppError('UNAUTHORIZED', message, needDetail(need), {
      headers: { 'WWW-Authenticate': challenge(access, request, { scope: needScope(need), error }) },
    });
  const denied = (need: AccessNeed) => new AppError('DENIED', undefined, needDetail(need));

  /** Who the Authorization header says; throws 401/429 for credentials that do not hold. */
  async function authenticate(request: FastifyRequest, need: AccessNeed): Promise<Caller> {
    const header = request.headers.authorization;
    if (header === undefined || header === '' || isEmptyBasic(header)) return { kind: 'anonymous' };
    const basic = basicCredentials(header);
    if (basic) {
      try {
        return await access.authenticator.password(basic.user, basic.password, request.ip);
      } catch (err) {
        if ((err as AppError).code === 'UNAUTHORIZED')
          throw unauthorized(request, need, 'invalid username or password');
        throw err;
      }
    }
    if (/^basic(\s|$)/i.test(header)) throw unauthorized(request, need, 'malformed Basic credentials');
    let bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (bearer === undefined) throw unauthorized(request, need, 'unsupported authorization scheme');
    // The Hub's JavaScript client sends only tokens spelled `hf_…`: on /hf, `hf_<key or token>` is the key or token.
    if (bearer.startsWith('hf_') && request.url.startsWith('/hf/')) bearer = bearer.slice(3);
    if (secretId('api-key', bearer) !== null) {
      try {
        return await access.authenticator.apiKey(bearer, request.ip);
      } catch (err) {
        if ((err as AppError).code === 'UNAUTHORIZED')
          throw unauthorized(request, need, 'invalid API key', 'invalid_token');
        throw err;
      }
    }
    if (!access.verifier)
      throw unauthorized(request, need, 'bearer tokens are not accepted here', 'invalid_token');
    let token: VerifiedToken;
    try {
      token = await access.verifier.verify(bearer);
    } catch (err) {
      const reason = err instanceof TokenRejected ? err.message : 'token invalid';
      throw unauthorized(request, need, reason, 'invalid_token');
    }
    const caller = await access.authenticator.tokenCaller(token);
    if (!caller) {
      const reason = token.apiKeyId !== undefined ? 'its API key was revoked' : 'its account is disabled';
      throw unauthorized(request, need, `token rejected: ${reason}`, 'invalid_token');
    }
    request.bearer = token;
    return caller;
  }

  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      await enforce(request, reply);
    } catch (err) {
      if (err instanceof AppError) request.refusal = { code: err.code, message: err.message };
      throw err;
    }
  };

  async function enforce(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const need = requiredAccess(request);
    request.accessNeed = need;
    if (need.kind === 'public') return;
    if (request.url.startsWith('/v2')) reply.header('Docker-Distribution-API-Version', apiVersion);
    if (access.mode === 'none') {
      request.caller = { kind: 'anonymous' };
      return;
    }
    const caller = await authenticate(request, need);
    request.caller = caller;
    if (caller.kind !== 'anonymous') request.user = caller.name;
    const signedIn = caller.kind !== 'anonymous';

    switch (need.kind) {
      case 'caller':
        return;
      case 'authenticated':
        if (!signedIn) throw unauthorized(request, need, 'authentication required');
        return;
      case 'permission': {
        if (!signedIn) throw unauthorized(request, need, 'authentication required');
        if (!(await access.allows(caller, need.permission))) throw denied(need);
        return;
      }
      case 'repository': {
        const verdict = await access.repositoryAccess(caller, request.bearer, need.action, need.name);
        if (verdict === 'token-lacks' || (verdict === 'no' && !signedIn)) {
          throw unauthorized(
            request,
            need,
            'authentication required',
            request.bearer ? 'insufficient_scope' : undefined,
          );
        }
        if (verdict === 'no') throw denied(need);
        if (need.mountFrom !== undefined) {
          const source = await access.repositoryAccess(caller, request.bearer, 'pull', need.mountFrom);
          // A token that lacks the source while the caller's roles allow it: ask for a new token.
          if (source === 'token-lacks') {
            throw unauthorized(request, need, 'authentication required', 'insufficient_scope');
          }
          // Not allowed to read the source: an ordinary upload instead of a mount, as if it were absent.
          request.crossMountAllowed = source === 'yes';
        }
        return;
      }
      case 'catalog': {
        if (!signedIn) throw unauthorized(request, need, 'authentication required');
        const listing = await access.catalogAccess(caller, request.bearer);
        if (listing.verdict === 'token-lacks') {
          throw unauthorized(request, need, 'authentication required', 'insufficient_scope');
        }
        // Any signed-in caller may list: the list holds only what it may pull, empty when nothing.
        if (listing.visible) request.repositoryVisible = listing.visible;
        return;
      }
    }
  }
}

const reads = new Set(['GET', 'HEAD', 'OPTIONS']);

function outcomeOf(status: number): AuditEvent['outcome'] {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'denied';
  if (status === 429) return 'throttled';
  return status < 400 ? 'success' : 'failure';
}

/**
 * An onResponse hook that writes every write and every refused request to the audit log: who
 * (the caller, or the account a refused login named), what (the OCI action or the API route), where
 * (repository or path, client address), when, and how it ended. Two things are left out: the
 * anonymous `GET /v2/` every client sends first to learn the challenge, and successful logins at the
 * token endpoint (each pull fetches tokens; they are reads of a kind).
 */
export function auditTrail(access: AccessControl) {
  return async function audit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const status = reply.statusCode;
    const refused = status === 401 || status === 403 || status === 429;
    const write = !reads.has(request.method);
    if (!refused && !write) return;
    const need = request.accessNeed ?? { kind: 'public' };
    if (need.kind === 'public' && !refused) return;
    const path = request.url.split('?', 1)[0]!;
    if (status === 401 && request.headers.authorization === undefined && (path === '/v2' || path === '/v2/'))
      return;
    const caller = request.caller;
    const actor = caller && caller.kind !== 'anonymous' ? caller.name : (request.auditActor ?? null);
    let action: string;
    let resource: string | null = path;
    if (need.kind === 'repository') {
      action = `oci.${need.action}`;
      resource = `repository:${need.name}`;
    } else if (need.kind === 'catalog') {
      action = 'oci.catalog';
    } else {
      action = `${request.method} ${request.routeOptions.url ?? path}`;
    }
    const detail: Record<string, unknown> = {};
    if (request.refusal) detail.error = request.refusal;
    if (need.kind === 'repository' && need.mountFrom !== undefined) detail.mount_from = need.mountFrom;
    access.audit.record({
      actor,
      actorKind: caller && caller.kind !== 'anonymous' ? caller.kind : actor ? 'user' : null,
      action,
      resource,
      method: request.method,
      path,
      outcome: outcomeOf(status),
      status,
      remote: request.ip,
      requestId: request.id,
      detail: Object.keys(detail).length > 0 ? detail : undefined,
    });
  };
}
