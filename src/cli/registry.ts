import { Command } from 'commander';
import {
  apiCall,
  client,
  enc,
  listResources,
  print,
  show,
  type ClientOptions,
  type Row,
} from './api-client.js';
import { readDocument } from './read-document.js';

function tags(items: string[] | undefined): Record<string, string> | undefined {
  if (!items) return undefined;
  return Object.fromEntries(
    items.map((item) => {
      const at = item.indexOf('=');
      if (at <= 0) throw new Error(`--tag ${JSON.stringify(item)}: expected key=value`);
      return [item.slice(0, at), item.slice(at + 1)];
    }),
  );
}

/** `arca registry create|list|show|update|delete|set-default|probe`: registries as resources. */
export function registryCommand(): Command {
  const registry = new Command('registry').description('registries: where images and AI assets live');

  client(
    registry.command('create').description('create a registry from flags or a YAML file').argument('[name]'),
  )
    .option('-f, --file <path>', "the registry's YAML (the reference documents' format; '-' for stdin)")
    .option('-d, --description <text>')
    .option('-n, --namespace <ns>')
    .option('--primary-location <location>', 'a location defined in the server configuration')
    .option('--location <location...>', 'additional locations')
    .option('--tag <key=value...>')
    .option('--anonymous-pull', 'anyone may pull without signing in')
    .option('--default', 'make it the default of its namespace')
    .option(
      '--proxy <url>',
      'a pull-through cache of this registry (https://host, or http:// for plain HTTP)',
    )
    .option('--credential <name>', 'with --proxy: the REGISTRY credential presented to the upstream')
    .option(
      '--ttl <duration>',
      'with --proxy: how long a tag is served before the upstream is asked again (e.g. 5m)',
    )
    .action(
      async (
        name: string | undefined,
        opts: ClientOptions & {
          file?: string;
          description?: string;
          namespace?: string;
          primaryLocation?: string;
          location?: string[];
          tag?: string[];
          anonymousPull?: boolean;
          default?: boolean;
          proxy?: string;
          credential?: string;
          ttl?: string;
        },
      ) => {
        const body: Row = opts.file ? { ...(readDocument(opts.file) as Row) } : {};
        if (name !== undefined) body.name = name;
        if (body.name === undefined)
          throw new Error('give the registry a name (argument or name: in --file)');
        if (opts.description !== undefined) body.description = opts.description;
        if (opts.namespace !== undefined) body.namespace = opts.namespace;
        if (opts.primaryLocation !== undefined) body.primary_location = opts.primaryLocation;
        if (opts.location !== undefined) body.locations = opts.location;
        if (opts.tag !== undefined) body.tags = tags(opts.tag);
        if (opts.anonymousPull) body.anonymous_pull = true;
        if (opts.default) body.default = true;
        if ((opts.credential !== undefined || opts.ttl !== undefined) && opts.proxy === undefined)
          throw new Error('--credential and --ttl go with --proxy');
        if (opts.proxy !== undefined) {
          body.proxy = {
            url: opts.proxy,
            ...(opts.credential !== undefined ? { credential: opts.credential } : {}),
            ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}),
          };
        }
        const created = (await apiCall(opts, 'POST', '/api/v1/registries', body)) as Row;
        if (opts.output === 'json') return print(created);
        process.stdout.write(`registry ${String(created.name)} created: ${String(created.state)}`);
        process.stdout.write(created.state_reason ? ` (${String(created.state_reason)})\n` : '\n');
      },
    );

  client(registry.command('list').description('list registries'))
    .option('-n, --namespace <ns>')
    .action(async (opts: ClientOptions & { namespace?: string }) => {
      const query = opts.namespace ? `?namespace=${enc(opts.namespace)}` : '';
      await listResources(
        opts,
        `/api/v1/registries${query}`,
        ['STATE', 'NAME', 'ENDPOINT', 'BUCKET', 'DEFAULT', 'NAMESPACE', 'LOCATION', 'PROXY'],
        (r) => [
          r.state,
          r.name,
          r.endpoint ?? '-',
          r.bucket ?? '-',
          r.default ? 'yes' : '',
          r.namespace,
          r.primary_location,
          (r.proxy as Row | null)?.url ?? '',
        ],
      );
    });

  client(registry.command('show').description('show a registry, with its state').argument('<name>')).action(
    async (name: string, opts: ClientOptions) =>
      show(opts, await apiCall(opts, 'GET', `/api/v1/registries/${enc(name)}`)),
  );

  client(
    registry
      .command('update')
      .description('change description, tags, locations or anonymous pulls')
      .argument('<name>'),
  )
    .option('-d, --description <text>')
    .option('--location <location...>', 'the additional locations (replaces them)')
    .option('--tag <key=value...>', 'the tags (replaces them)')
    .option('--anonymous-pull <yes|no>')
    .option('--credential <name>', "a new DATA credential for the registry's own S3 backend")
    .option('--proxy <url>', "a proxy registry's new upstream")
    .option('--proxy-credential <name>', "a proxy registry's REGISTRY credential ('' for none)")
    .option('--ttl <duration>', "a proxy registry's tag TTL (e.g. 5m)")
    .action(
      async (
        name: string,
        opts: ClientOptions & {
          description?: string;
          location?: string[];
          tag?: string[];
          anonymousPull?: string;
          credential?: string;
          proxy?: string;
          proxyCredential?: string;
          ttl?: string;
        },
      ) => {
        const body: Row = {};
        const proxy: Row = {};
        if (opts.proxy !== undefined) proxy.url = opts.proxy;
        if (opts.proxyCredential !== undefined) proxy.credential = opts.proxyCredential || null;
        if (opts.ttl !== undefined) proxy.ttl = opts.ttl;
        if (Object.keys(proxy).length > 0) body.proxy = proxy;
        if (opts.description !== undefined) body.description = opts.description;
        if (opts.location !== undefined) body.locations = opts.location;
        if (opts.tag !== undefined) body.tags = tags(opts.tag);
        if (opts.anonymousPull !== undefined)
          body.anonymous_pull = /^(yes|true|on|1)$/i.test(opts.anonymousPull);
        if (opts.credential !== undefined) body.backend = { s3: { credential: opts.credential } };
        show(opts, await apiCall(opts, 'PATCH', `/api/v1/registries/${enc(name)}`, body));
      },
    );

  client(
    registry
      .command('set-default')
      .description('make a registry the default of its namespace')
      .argument('<name>'),
  ).action(async (name: string, opts: ClientOptions) => {
    const updated = (await apiCall(opts, 'POST', `/api/v1/registries/${enc(name)}/default`)) as Row;
    if (opts.output === 'json') return print(updated);
    process.stdout.write(
      `${String(updated.name)} is now the default registry of namespace ${String(updated.namespace)}\n`,
    );
  });

  client(registry.command('probe').description("check a registry's backends now").argument('<name>')).action(
    async (name: string, opts: ClientOptions) => {
      const probed = (await apiCall(opts, 'POST', `/api/v1/registries/${enc(name)}/probe`)) as Row;
      if (opts.output === 'json') print(probed);
      else
        process.stdout.write(
          `${String(probed.state)}${probed.state_reason ? `: ${String(probed.state_reason)}` : ''}\n`,
        );
      if (probed.state !== 'Active') process.exitCode = 3;
    },
  );

  client(registry.command('delete').description('delete a registry').argument('<name>'))
    .option('--force', 'also delete the repositories it holds')
    .action(async (name: string, opts: ClientOptions & { force?: boolean }) => {
      const result = (await apiCall(
        opts,
        'DELETE',
        `/api/v1/registries/${enc(name)}${opts.force ? '?force=true' : ''}`,
      )) as Row;
      if (opts.output === 'json') return print(result);
      process.stdout.write(`deleted registry ${name} (${String(result.repositories)} repositories)\n`);
    });

  return registry;
}
