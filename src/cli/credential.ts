import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  apiCall,
  client,
  deleteResource,
  enc,
  listResources,
  print,
  show,
  type ClientOptions,
} from './api-client.js';

type NamespaceOptions = ClientOptions & { namespace: string };

/** `key=value` pairs into an object; the value is everything after the first `=`. */
function pairs(items: string[], option: string): Array<[string, string]> {
  return items.map((item) => {
    const at = item.indexOf('=');
    if (at <= 0) throw new Error(`${option} ${JSON.stringify(item)}: expected key=value`);
    return [item.slice(0, at), item.slice(at + 1)];
  });
}

function withNamespace(command: Command): Command {
  return client(command).option('-n, --namespace <ns>', 'the namespace the credential belongs to', 'default');
}

function path(name: string, opts: NamespaceOptions, suffix = ''): string {
  return `/api/v1/credentials/${enc(name)}${suffix}?namespace=${enc(opts.namespace)}`;
}

/**
 * `arca credential set|list|show|delete|test`, with OSMO's syntax:
 * `arca credential set <name> --type REGISTRY --payload registry=<r> username=<u> auth=<token>`.
 */
export function credentialCommand(): Command {
  const credential = new Command('credential').description('credentials for other registries and buckets');

  withNamespace(credential.command('set').description('create or replace a credential').argument('<name>'))
    .addOption(
      new Option('-t, --type <type>', 'REGISTRY, DATA or GENERIC')
        .choices(['REGISTRY', 'DATA', 'GENERIC'])
        .makeOptionMandatory(),
    )
    .option(
      '-p, --payload <key=value...>',
      'payload fields, e.g. registry=nvcr.io username=$oauthtoken auth=<token>',
      [],
    )
    .option('--payload-file <key=path...>', 'payload fields read from files (e.g. auth=./token.txt)', [])
    .action(
      async (
        name: string,
        opts: NamespaceOptions & { type: string; payload: string[]; payloadFile: string[] },
      ) => {
        const payload: Record<string, string> = Object.fromEntries(pairs(opts.payload, '--payload'));
        for (const [key, file] of pairs(opts.payloadFile, '--payload-file')) {
          try {
            payload[key] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
          } catch (err) {
            throw new Error(`--payload-file ${key}=${file}: ${(err as Error).message}`);
          }
        }
        const saved = await apiCall(opts, 'PUT', path(name, opts), { type: opts.type, payload });
        if (opts.output === 'json') return print(saved);
        process.stdout.write(`credential ${name} set (${opts.type}, namespace ${opts.namespace})\n`);
      },
    );

  withNamespace(credential.command('list').description('list credentials (payloads masked)')).action(
    async (opts: NamespaceOptions) => {
      await listResources(
        opts,
        `/api/v1/credentials?namespace=${enc(opts.namespace)}`,
        ['NAME', 'TYPE', 'NAMESPACE', 'PAYLOAD', 'UPDATED'],
        (c) => [
          c.name,
          c.type,
          c.namespace,
          Object.entries(c.payload as Record<string, string>)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
          c.updated_at,
        ],
      );
    },
  );

  withNamespace(
    credential.command('show').description('show a credential (payload masked)').argument('<name>'),
  ).action(async (name: string, opts: NamespaceOptions) =>
    show(opts, await apiCall(opts, 'GET', path(name, opts))),
  );

  withNamespace(credential.command('delete').description('delete a credential').argument('<name>'))
    .option('--force', 'delete it even while registries or catalog entries use it')
    .action(async (name: string, opts: NamespaceOptions & { force?: boolean }) => {
      await deleteResource(
        opts,
        `${path(name, opts)}${opts.force ? '&force=true' : ''}`,
        name,
        `deleted credential ${name}`,
      );
    });

  withNamespace(
    credential
      .command('test')
      .description("log in to the credential's registry, or list its bucket")
      .argument('<name>'),
  )
    .option('--bucket <bucket>', 'for DATA credentials: the bucket to list (default: list the buckets)')
    .action(async (name: string, opts: NamespaceOptions & { bucket?: string }) => {
      let url = path(name, opts, '/test');
      if (opts.bucket) url += `&bucket=${enc(opts.bucket)}`;
      const result = (await apiCall(opts, 'POST', url)) as { ok: boolean; message: string; target: string };
      if (opts.output === 'json') print(result);
      else process.stdout.write(`${result.ok ? 'OK' : 'FAILED'}: ${result.target}: ${result.message}\n`);
      if (!result.ok) process.exitCode = 3;
    });

  return credential;
}
