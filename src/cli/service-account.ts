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

/** `arca service-account list|create|delete`. */
export function serviceAccountCommand(): Command {
  const sa = new Command('service-account').description('service accounts (they sign in with API keys)');
  client(sa.command('list').description('list service accounts')).action(async (opts: ClientOptions) => {
    await listResources(opts, '/api/v1/service-accounts', ['NAME', 'DISABLED', 'DESCRIPTION'], (s) => [
      s.name,
      s.disabled,
      s.description,
    ]);
  });
  client(sa.command('create').description('create a service account').argument('<name>'))
    .option('-d, --description <text>', 'what it is for', '')
    .action(async (name: string, opts: ClientOptions & { description: string }) =>
      show(
        opts,
        await apiCall(opts, 'POST', '/api/v1/service-accounts', { name, description: opts.description }),
      ),
    );
  client(sa.command('delete').description('delete a service account and its keys').argument('<name>')).action(
    async (name: string, opts: ClientOptions) => {
      await deleteResource(
        opts,
        `/api/v1/service-accounts/${enc(name)}`,
        name,
        `deleted service account ${name}`,
      );
    },
  );
  return sa;
}
