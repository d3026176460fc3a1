import { Command } from 'commander';
import { parseDuration } from '../config/index.js';
import { apiCall, client, enc, listResources, print, type ClientOptions, type Row } from './api-client.js';

/** `arca apikey create|list|revoke`: a service account's API keys. */
export function apiKeyCommand(): Command {
  const apikey = new Command('apikey').description("a service account's API keys");
  client(
    apikey.command('create').description('create an API key (shown this once)').argument('<service-account>'),
  )
    .option('--name <name>', 'what the key is for', '')
    .option('--expires-in <duration>', 'lifetime, e.g. 720h or 90d (default: no expiry)')
    .action(async (account: string, opts: ClientOptions & { name: string; expiresIn?: string }) => {
      const body: Row = { name: opts.name };
      if (opts.expiresIn !== undefined) body.expires_in = Math.ceil(lifetimeMs(opts.expiresIn) / 1000);
      const key = (await apiCall(
        opts,
        'POST',
        `/api/v1/service-accounts/${enc(account)}/api-keys`,
        body,
      )) as Row;
      if (opts.output === 'json') return print(key);
      process.stdout.write(`${String(key.key)}\n`);
      process.stderr.write(`API key ${String(key.id)} for ${account}: store it now, it is not shown again\n`);
    });
  client(
    apikey.command('list').description("list a service account's keys").argument('<service-account>'),
  ).action(async (account: string, opts: ClientOptions) => {
    await listResources(
      opts,
      `/api/v1/service-accounts/${enc(account)}/api-keys`,
      ['ID', 'NAME', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'],
      (k) => [k.id, k.name, k.created_at, k.expires_at, k.last_used_at, k.revoked_at],
    );
  });
  client(
    apikey
      .command('revoke')
      .description('revoke a key at once')
      .argument('<service-account>')
      .argument('<id>'),
  ).action(async (account: string, id: string, opts: ClientOptions) => {
    const revoked = await apiCall(
      opts,
      'DELETE',
      `/api/v1/service-accounts/${enc(account)}/api-keys/${enc(id)}`,
    );
    if (opts.output === 'json') print(revoked);
    else process.stdout.write(`revoked API key ${id}\n`);
  });
  return apikey;
}

/** `90d`, `12h`, `30m`: days on top of the Go durations the configuration takes. */
function lifetimeMs(text: string): number {
  const days = /^(\d+)d$/.exec(text.trim());
  if (days) return Number(days[1]) * 86_400_000;
  return parseDuration(text);
}
