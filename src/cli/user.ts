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
import { passwordFrom } from './password-input.js';

/** `arca user list|create|show|passwd|disable|enable|delete`: user accounts. */
export function userCommand(): Command {
  const user = new Command('user').description('manage user accounts');
  client(user.command('list').description('list users')).action(async (opts: ClientOptions) => {
    await listResources(opts, '/api/v1/users', ['NAME', 'DISABLED', 'GROUPS', 'CREATED'], (u) => [
      u.name,
      u.disabled,
      (u.groups as string[]).join(','),
      u.created_at,
    ]);
  });
  client(user.command('create').description('create a user').argument('<name>'))
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, opts: ClientOptions & { passwordStdin?: boolean }) => {
      const password = await passwordFrom(opts, `Password for ${name}: `);
      show(opts, await apiCall(opts, 'POST', '/api/v1/users', { name, password }));
    });
  client(user.command('show').description('show a user').argument('<name>')).action(
    async (name: string, opts: ClientOptions) =>
      show(opts, await apiCall(opts, 'GET', `/api/v1/users/${enc(name)}`)),
  );
  client(user.command('passwd').description("set a user's password").argument('<name>'))
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, opts: ClientOptions & { passwordStdin?: boolean }) => {
      const password = await passwordFrom(opts, `New password for ${name}: `);
      show(opts, await apiCall(opts, 'PATCH', `/api/v1/users/${enc(name)}`, { password }));
    });
  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    client(user.command(verb).description(`${verb} a user`).argument('<name>')).action(
      async (name: string, opts: ClientOptions) =>
        show(opts, await apiCall(opts, 'PATCH', `/api/v1/users/${enc(name)}`, { disabled })),
    );
  }
  client(user.command('delete').description('delete a user').argument('<name>')).action(
    async (name: string, opts: ClientOptions) => {
      await deleteResource(opts, `/api/v1/users/${enc(name)}`, name, `deleted user ${name}`);
    },
  );
  return user;
}
