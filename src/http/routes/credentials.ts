import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AccessControl, Permission } from '../../access/index.js';
import {
  credentialTypes,
  testRegistryLogin,
  type CredentialService,
  type CredentialTestResult,
  type OpenedCredential,
} from '../../credentials/index.js';
import { AppError } from '../../errors/index.js';
import { Outbound } from '../../net/index.js';

export interface CredentialRoutesOptions {
  credentials: CredentialService;
  access: AccessControl;
  /** Tries a DATA credential against its object store (absent: DATA credentials cannot be tested). */
  testBucket?: (credential: OpenedCredential, bucket: string | undefined) => Promise<CredentialTestResult>;
  /** The server's outbound requests (destination policy, timeouts); default: the defaults. */
  outbound?: Outbound;
}

const namespacePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$/;

const setBody = z.strictObject({
  type: z.enum(credentialTypes),
  payload: z.record(z.string(), z.string()),
  namespace: z.string().regex(namespacePattern).optional(),
});

type Params = { Params: { name: string }; Querystring: Record<string, string | undefined> };

function namespaceOf(query: Record<string, string | undefined>, fallback = 'default'): string {
  const namespace = query.namespace ?? fallback;
  if (!namespacePattern.test(namespace)) {
    throw new AppError(
      'CREDENTIAL_INVALID',
      `namespace ${JSON.stringify(namespace.slice(0, 40))}: 2-32 letters, digits, '_' or '-'`,
    );
  }
  return namespace;
}

/**
 * `/api/v1/credentials`: encrypted credentials for other registries and buckets, one namespace each
 * (`?namespace=`, default `default`). Reads need `credentials/read`, writes `credentials/write`, at
 * `/` or at the namespace; payloads come back masked, always.
 */
export async function credentialRoutes(
  app: FastifyInstance,
  options: CredentialRoutesOptions,
): Promise<void> {
  const { credentials, access } = options;
  const outbound = options.outbound ?? new Outbound();

  const signedIn = { config: { access: 'authenticated' as const } };

  const require = (request: FastifyRequest, permission: Permission, namespace: string) =>
    access.authorize(request.caller, permission, { namespace });
  const by = (request: FastifyRequest) =>
    request.caller && request.caller.kind !== 'anonymous' ? request.caller.name : null;

  app.get<{ Querystring: Record<string, string | undefined> }>('/credentials', signedIn, async (request) => {
    const namespace = namespaceOf(request.query);
    await require(request, 'credentials/read', namespace);
    return { items: await credentials.list(namespace) };
  });

  app.get<Params>('/credentials/:name', signedIn, async (request) => {
    const namespace = namespaceOf(request.query);
    await require(request, 'credentials/read', namespace);
    return credentials.get(namespace, request.params.name);
  });

  // PUT creates or replaces: `arca credential set` is idempotent.
  app.put<Params>('/credentials/:name', signedIn, async (request, reply) => {
    const parsed = setBody.safeParse(request.body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${['body', ...i.path].join('.')}: ${i.message}`);
      throw new AppError('CREDENTIAL_INVALID', issues.join('; '));
    }
    const namespace = parsed.data.namespace ?? namespaceOf(request.query);
    await require(request, 'credentials/write', namespace);
    const { credential, created } = await credentials.set(
      namespace,
      request.params.name,
      parsed.data.type,
      parsed.data.payload,
      by(request),
    );
    reply.header('Cache-Control', 'no-store');
    return reply.code(created ? 201 : 200).send(credential);
  });

  app.delete<Params>('/credentials/:name', signedIn, async (request, reply) => {
    const namespace = namespaceOf(request.query);
    await require(request, 'credentials/write', namespace);
    const force = request.query.force === 'true' || request.query.force === '1';
    await credentials.delete(namespace, request.params.name, force);
    return reply.code(204).send();
  });

  // Try the credential against its registry or bucket; the answer says what happened, never the secret.
  app.post<Params>('/credentials/:name/test', signedIn, async (request) => {
    const namespace = namespaceOf(request.query);
    await require(request, 'credentials/read', namespace);
    const credential = await credentials.open(namespace, request.params.name);
    if (!credential) {
      throw new AppError(
        'CREDENTIAL_UNKNOWN',
        `no credential ${JSON.stringify(request.params.name)} in namespace ${namespace}`,
      );
    }
    if (credential.type === 'REGISTRY') {
      const { registry, username, auth, realm } = credential.payload;
      return testRegistryLogin(outbound, { registry: registry!, username, auth: auth!, realm }, 10_000);
    }
    if (credential.type === 'DATA' && options.testBucket)
      return options.testBucket(credential, request.query.bucket);
    throw new AppError(
      'CREDENTIAL_INVALID',
      `a ${credential.type} credential has nothing to be tested against`,
    );
  });

  // A new master key; every credential re-sealed with it (key file only; with ARCA_MASTER_KEY, set a new one).
  app.post('/credentials-key/rotate', { config: { access: 'access/manage' as const } }, async () => {
    try {
      return await credentials.rotate();
    } catch (err) {
      if (err instanceof Error && /ARCA_MASTER_KEY/.test(err.message))
        throw new AppError('CREDENTIAL_INVALID', err.message);
      throw err;
    }
  });
}
