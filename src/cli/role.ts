import { Command } from 'commander';
import {
  apiCall,
  client,
  deleteResource,
  enc,
  listResources,
  show,
  type ClientOptions,
} from './api-client.js';

/** `--user u`, `--group g` or `--service-account s`: exactly one. */
function principalOf(opts: { user?: string; group?: string; serviceAccount?: string }) {
  const given = [
    opts.user !== undefined ? { kind: 'user', name: opts.user } : undefined,
    opts.group !== undefined ? { kind: 'group', name: opts.group } : undefined,
    opts.serviceAccount !== undefined ? { kind: 'service-account', name: opts.serviceAccount } : undefined,
  ].filter((p) => p !== undefined);
  if (given.length !== 1) throw new Error('give exactly one of --user, --group or --service-account');
  return given[0]!;
}

/** `arca role list|show|create|delete|assign|assignments|unassign`: roles and role assignments. */
export function roleCommand(): Command {
  const role = new Command('role').description('roles, custom roles and role assignments');
  client(role.command('list').description('list built-in and custom roles')).action(
    async (opts: ClientOptions) => {
      await listResources(opts, '/api/v1/roles', ['NAME', 'BUILTIN', 'PERMISSIONS'], (r) => [
        r.name,
        r.builtin,
        (r.permissions as string[]).join(','),
      ]);
    },
  );
  client(role.command('show').description('show a role').argument('<name>')).action(
    async (name: string, opts: ClientOptions) =>
      show(opts, await apiCall(opts, 'GET', `/api/v1/roles/${enc(name)}`)),
  );
  client(role.command('create').description('create a custom role').argument('<name>'))
    .requiredOption('-p, --permission <verb...>', 'permissions, e.g. registries/assets/read')
    .option('-d, --description <text>', 'what the role is for', '')
    .action(async (name: string, opts: ClientOptions & { permission: string[]; description: string }) => {
      const body = { name, description: opts.description, permissions: opts.permission };
      show(opts, await apiCall(opts, 'POST', '/api/v1/roles', body));
    });
  client(role.command('delete').description('delete a custom role').argument('<name>')).action(
    async (name: string, opts: ClientOptions) => {
      await deleteResource(opts, `/api/v1/roles/${enc(name)}`, name, `deleted role ${name}`);
    },
  );
  client(role.command('assign').description('give a role at a scope').argument('<role>'))
    .option('--user <name>')
    .option('--group <name>')
    .option('--service-account <name>')
    .option('--scope <scope>', '/ (everything), /namespaces/<ns> or /registries/<name>', '/')
    .action(
      async (
        roleName: string,
        opts: ClientOptions & { user?: string; group?: string; serviceAccount?: string; scope: string },
      ) => {
        const body = { role: roleName, principal: principalOf(opts), scope: opts.scope };
        show(opts, await apiCall(opts, 'POST', '/api/v1/role-assignments', body));
      },
    );
  client(role.command('assignments').description('list role assignments'))
    .option('--role <name>')
    .option('--scope <scope>')
    .action(async (opts: ClientOptions & { role?: string; scope?: string }) => {
      const query = new URLSearchParams();
      if (opts.role) query.set('role', opts.role);
      if (opts.scope) query.set('scope', opts.scope);
      await listResources(
        opts,
        `/api/v1/role-assignments?${query}`,
        ['ID', 'ROLE', 'PRINCIPAL', 'SCOPE'],
        (a) => {
          const p = a.principal as { kind: string; name: string };
          return [a.id, a.role, `${p.kind}:${p.name}`, a.scope];
        },
      );
    });
  client(role.command('unassign').description('remove a role assignment').argument('<id>')).action(
    async (id: string, opts: ClientOptions) => {
      await deleteResource(opts, `/api/v1/role-assignments/${enc(id)}`, id, `removed assignment ${id}`);
    },
  );
  return role;
}
