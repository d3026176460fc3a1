import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  assigneeKinds,
  memberKinds,
  permissionDescriptions,
  permissions,
  type AccessControl,
  type MemberKind,
} from '../../access/index.js';
import { AppError } from '../../errors/index.js';

export interface AccessRoutesOptions {
  access: AccessControl;
}

const name = z.string().min(1).max(64);
const description = z.string().max(1000);
const timestamp = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((t) => Date.parse(t));

const schemas = {
  createUser: z.strictObject({ name, password: z.string() }),
  updateUser: z.strictObject({ password: z.string().optional(), disabled: z.boolean().optional() }),
  createGroup: z.strictObject({
    name,
    description: description.default(''),
    members: z
      .array(z.strictObject({ kind: z.enum(memberKinds), name }))
      .max(1000)
      .default([]),
  }),
  updateGroup: z.strictObject({ description }),
  member: z.strictObject({ kind: z.enum(memberKinds), name }),
  createServiceAccount: z.strictObject({ name, description: description.default('') }),
  updateServiceAccount: z.strictObject({
    description: description.optional(),
    disabled: z.boolean().optional(),
  }),
  createApiKey: z.strictObject({
    name: z.string().max(200).default(''),
    /** An absolute time, or a lifetime in seconds; none means the key does not expire. */
    expires_at: timestamp.nullable().optional(),
    expires_in: z
      .number()
      .int()
      .positive()
      .max(10 * 365 * 86_400)
      .optional(),
  }),
  createRole: z.strictObject({
    name,
    description: description.default(''),
    permissions: z.array(z.string()).max(permissions.length * 2),
  }),
  updateRole: z.strictObject({
    description: description.optional(),
    permissions: z
      .array(z.string())
      .max(permissions.length * 2)
      .optional(),
  }),
  createAssignment: z.strictObject({
    role: name,
    principal: z.strictObject({ kind: z.enum(assigneeKinds), name }),
    scope: z.string().max(200).default('/'),
  }),
  auditQuery: z.strictObject({
    actor: z.string().max(200).optional(),
    action: z.string().max(200).optional(),
    outcome: z.enum(['success', 'failure', 'denied', 'unauthorized', 'throttled']).optional(),
    resource: z.string().max(500).optional(),
    since: timestamp.optional(),
    until: timestamp.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(100).optional(),
  }),
  assignmentQuery: z.strictObject({
    role: z.string().max(64).optional(),
    principal_kind: z.enum(assigneeKinds).optional(),
    principal_name: z.string().max(64).optional(),
    scope: z.string().max(200).optional(),
  }),
};

/** Validate input with a schema; a 400 naming each field at fault otherwise. */
function parse<T extends z.ZodType>(schema: T, input: unknown, what = 'body'): z.output<T> {
  const result = schema.safeParse(input ?? (what === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${[what, ...i.path].join('.')}: ${i.message}`);
  throw new AppError('REQUEST_INVALID', issues.join('; '));
}

type Params = { Params: Record<string, string> };

const manage = { config: { access: 'access/manage' as const } };

/**
 * Arca's access API under /api/v1: users, groups, service accounts and their API keys, roles, role
 * assignments, the audit log, and `me`. JSON in and out, problem+json errors; everything but `me`
 * needs `access/manage`. Part of the /api/v1 plugin (routes/api.ts), which renders errors.
 */
export async function accessRoutes(app: FastifyInstance, options: AccessRoutesOptions): Promise<void> {
  const { access } = options;
  const { directory, roles } = access;

  const created = (reply: FastifyReply, location: string, body: unknown) =>
    reply.code(201).header('Location', `/api/v1${location}`).send(body);
  const by = (request: FastifyRequest) =>
    request.caller && request.caller.kind !== 'anonymous' ? request.caller.name : null;
  const noContent = (reply: FastifyReply) => reply.code(204).send();

  // Who am I, and what may I do?
  app.get('/me', { config: { access: 'authenticated' } }, async (request) => {
    const caller = request.caller ?? { kind: 'anonymous' as const };
    const grants = await access.grants.of(caller);
    return {
      kind: caller.kind,
      name: caller.kind === 'anonymous' ? null : caller.name,
      source: caller.kind === 'user' ? caller.source : undefined,
      auth: access.mode,
      grants: grants.describe(),
    };
  });

  app.get('/permissions', { config: { access: 'authenticated' } }, async () => ({
    items: permissions.map((p) => ({ name: p, description: permissionDescriptions[p] })),
  }));

  // Users
  app.get('/users', manage, async () => ({ items: await directory.listUsers() }));
  app.post('/users', manage, async (request, reply) => {
    const body = parse(schemas.createUser, request.body);
    const user = await directory.createUser(body.name, body.password);
    return created(reply, `/users/${encodeURIComponent(user.name)}`, user);
  });
  app.get<Params>('/users/:name', manage, async (request) => directory.getUser(request.params.name!));
  app.patch<Params>('/users/:name', manage, async (request) =>
    directory.updateUser(request.params.name!, parse(schemas.updateUser, request.body)),
  );
  app.delete<Params>('/users/:name', manage, async (request, reply) => {
    await directory.deleteUser(request.params.name!);
    return noContent(reply);
  });

  // Groups
  app.get('/groups', manage, async () => ({ items: await directory.listGroups() }));
  app.post('/groups', manage, async (request, reply) => {
    const body = parse(schemas.createGroup, request.body);
    const group = await directory.createGroup(body.name, body.description, body.members);
    return created(reply, `/groups/${encodeURIComponent(group.name)}`, group);
  });
  app.get<Params>('/groups/:name', manage, async (request) => directory.getGroup(request.params.name!));
  app.patch<Params>('/groups/:name', manage, async (request) =>
    directory.updateGroup(request.params.name!, parse(schemas.updateGroup, request.body).description),
  );
  app.delete<Params>('/groups/:name', manage, async (request, reply) => {
    await directory.deleteGroup(request.params.name!);
    return noContent(reply);
  });
  app.post<Params>('/groups/:name/members', manage, async (request) => {
    const member = parse(schemas.member, request.body);
    return directory.addMember(request.params.name!, member.kind, member.name);
  });
  app.delete<Params>('/groups/:name/members/:kind/:member', manage, async (request) => {
    const kind = parse(z.enum(memberKinds), request.params.kind, 'kind') as MemberKind;
    return directory.removeMember(request.params.name!, kind, request.params.member!);
  });

  // Service accounts and their API keys
  app.get('/service-accounts', manage, async () => ({ items: await directory.listServiceAccounts() }));
  app.post('/service-accounts', manage, async (request, reply) => {
    const body = parse(schemas.createServiceAccount, request.body);
    const account = await directory.createServiceAccount(body.name, body.description);
    return created(reply, `/service-accounts/${encodeURIComponent(account.name)}`, account);
  });
  app.get<Params>('/service-accounts/:name', manage, async (request) =>
    directory.getServiceAccount(request.params.name!),
  );
  app.patch<Params>('/service-accounts/:name', manage, async (request) =>
    directory.updateServiceAccount(request.params.name!, parse(schemas.updateServiceAccount, request.body)),
  );
  app.delete<Params>('/service-accounts/:name', manage, async (request, reply) => {
    await directory.deleteServiceAccount(request.params.name!);
    return noContent(reply);
  });
  app.get<Params>('/service-accounts/:name/api-keys', manage, async (request) => ({
    items: await directory.listApiKeys(request.params.name!),
  }));
  app.post<Params>('/service-accounts/:name/api-keys', manage, async (request, reply) => {
    const body = parse(schemas.createApiKey, request.body ?? {});
    if (body.expires_at !== undefined && body.expires_in !== undefined) {
      throw new AppError('REQUEST_INVALID', 'body: give expires_at or expires_in, not both');
    }
    const expiresAt = body.expires_in !== undefined ? Date.now() + body.expires_in * 1000 : body.expires_at;
    const key = await directory.createApiKey(request.params.name!, { name: body.name, expiresAt });
    reply.header('Cache-Control', 'no-store');
    return created(
      reply,
      `/service-accounts/${encodeURIComponent(request.params.name!)}/api-keys/${key.id}`,
      key,
    );
  });
  app.delete<Params>('/service-accounts/:name/api-keys/:id', manage, async (request) =>
    directory.revokeApiKey(request.params.name!, request.params.id!),
  );

  // Roles
  app.get('/roles', manage, async () => ({ items: await roles.listRoles() }));
  app.post('/roles', manage, async (request, reply) => {
    const body = parse(schemas.createRole, request.body);
    const role = await roles.createRole(body.name, body.description, body.permissions);
    return created(reply, `/roles/${encodeURIComponent(role.name)}`, role);
  });
  app.get<Params>('/roles/:name', manage, async (request) => roles.getRole(request.params.name!));
  app.patch<Params>('/roles/:name', manage, async (request) =>
    roles.updateRole(request.params.name!, parse(schemas.updateRole, request.body)),
  );
  app.delete<Params>('/roles/:name', manage, async (request, reply) => {
    await roles.deleteRole(request.params.name!);
    return noContent(reply);
  });

  // Role assignments
  app.get('/role-assignments', manage, async (request) => {
    const q = parse(schemas.assignmentQuery, request.query, 'query');
    return {
      items: await roles.listAssignments({
        role: q.role,
        principalKind: q.principal_kind,
        principalName: q.principal_name,
        scope: q.scope,
      }),
    };
  });
  app.post('/role-assignments', manage, async (request, reply) => {
    const body = parse(schemas.createAssignment, request.body);
    const { assignment, created: isNew } = await roles.assign(body, by(request));
    if (!isNew) return reply.code(200).send(assignment);
    return created(reply, `/role-assignments/${assignment.id}`, assignment);
  });
  app.get<Params>('/role-assignments/:id', manage, async (request) =>
    roles.getAssignment(request.params.id!),
  );
  app.delete<Params>('/role-assignments/:id', manage, async (request, reply) => {
    await roles.unassign(request.params.id!);
    return noContent(reply);
  });

  // The audit log, newest first; `next` is the cursor of the following page.
  app.get('/audit', manage, async (request) => {
    const q = parse(schemas.auditQuery, request.query, 'query');
    return access.audit.query({
      actor: q.actor,
      action: q.action,
      outcome: q.outcome,
      resource: q.resource,
      since: q.since,
      until: q.until,
      before: q.cursor,
      limit: q.limit,
    });
  });

  // Token signing keys: list (public parts) and rotate now.
  app.get('/token-keys', manage, async () => ({
    items: (access.signingKeys?.all() ?? []).map((k, i) => ({
      kid: k.kid,
      alg: k.alg,
      created_at: new Date(k.createdAt).toISOString(),
      current: i === 0,
    })),
  }));
  app.post('/token-keys/rotate', manage, async (_request, reply) => {
    if (!access.signingKeys) {
      throw new AppError(
        'CONFLICT',
        'this server does not issue tokens (auth is none or an external token server)',
      );
    }
    const key = access.signingKeys.rotateNow();
    return reply
      .code(201)
      .send({ kid: key.kid, alg: key.alg, created_at: new Date(key.createdAt).toISOString() });
  });
}
