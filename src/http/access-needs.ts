import type { FastifyRequest } from 'fastify';
import type { Permission, RepositoryAction } from '../access/index.js';
import { ociTargetOf } from './oci-router.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * What a route needs, declared where the route is: a permission, any signed-in caller, nothing,
     * or `caller`: anyone, identified when the request carries credentials (the route then asks
     * `AccessControl` about the resource it addresses, anonymous callers included).
     */
    access?: Permission | 'authenticated' | 'public' | 'caller';
  }
}

/** What one request needs before it may be handled. */
export type AccessNeed =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'caller' }
  | { kind: 'permission'; permission: Permission }
  | { kind: 'repository'; name: string; action: RepositoryAction; mountFrom?: string }
  | { kind: 'catalog' };

/** Operational endpoints anyone may call (load balancers and Prometheus do not sign in). */
const publicPaths = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The one place that decides what a request needs, from its route and method: OCI paths by what
 * they address (pull for reads, push for uploads and manifest PUTs, delete for deletes), other
 * routes by their declared `access` (or the catalog's `permission`). A route that declares nothing
 * needs `access/manage`: forgetting a declaration fails closed.
 */
export function requiredAccess(request: FastifyRequest): AccessNeed {
  const path = request.url.split('?', 1)[0]!;
  if (path === '/v2' || path.startsWith('/v2/')) return ociNeed(path, request);
  const config = request.routeOptions.config;
  if (config.access === 'public' || config.access === 'authenticated' || config.access === 'caller')
    return { kind: config.access };
  if (config.access !== undefined) return { kind: 'permission', permission: config.access };
  if (config.permission !== undefined) return { kind: 'permission', permission: config.permission };
  // No route matched: the answer is a 404 that reveals nothing.
  if (request.routeOptions.url === undefined || publicPaths.has(path)) return { kind: 'public' };
  return { kind: 'permission', permission: 'access/manage' };
}

/** Read through `ociTargetOf`, as the /v2 handler reads it, so the guard checks the name the handler uses. */
function ociNeed(path: string, request: FastifyRequest): AccessNeed {
  const target = ociTargetOf(path);
  if (!target) return { kind: 'authenticated' };
  const method = request.method;
  const read = method === 'GET' || method === 'HEAD';
  switch (target.kind) {
    case 'catalog':
      return { kind: 'catalog' };
    case 'manifest':
      if (read) return { kind: 'repository', name: target.name, action: 'pull' };
      if (method === 'DELETE') return { kind: 'repository', name: target.name, action: 'delete' };
      return { kind: 'repository', name: target.name, action: 'push' };
    case 'blob':
      if (method === 'DELETE') return { kind: 'repository', name: target.name, action: 'delete' };
      return { kind: 'repository', name: target.name, action: 'pull' };
    case 'uploads': {
      const query = request.query as Record<string, string | undefined>;
      const mountFrom = query.mount !== undefined ? query.from : undefined;
      return { kind: 'repository', name: target.name, action: 'push', ...(mountFrom ? { mountFrom } : {}) };
    }
    case 'upload':
      return { kind: 'repository', name: target.name, action: 'push' };
    case 'tags':
    case 'referrers':
      return { kind: 'repository', name: target.name, action: 'pull' };
    default:
      return { kind: 'authenticated' };
  }
}
