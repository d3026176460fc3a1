import { Command } from 'commander';
import { client, list, print, show, type ClientOptions } from '../api-client.js';
import { assetCall as apiCall, assetPath, versionPath } from './asset-api.js';
import { checkRegistry, keyValues, type AssetKind } from './asset-rules.js';
import { collect } from './transfer-options.js';

type Row = Record<string, unknown>;
type Flags = ClientOptions & { registry: string };
const enc = encodeURIComponent;

function withRegistry(command: Command): Command {
  return client(command).requiredOption('-r, --registry <registry>', 'the registry');
}

function listCommand(kind: AssetKind): Command {
  return withRegistry(new Command('list').description(`list the ${kind}s of a registry`))
    .option('--name <text>', 'only names containing this')
    .option('--tag <key[=value]>', 'only those with this tag (repeatable)', collect, [])
    .option('--property <key=value>', 'only those with this property (repeatable)', collect, [])
    .option('--sort <field>', 'name, -updated, …')
    .option('--limit <n>', 'at most this many')
    .action(
      async (
        flags: Flags & { name?: string; tag: string[]; property: string[]; sort?: string; limit?: string },
      ) => {
        checkRegistry(flags.registry);
        keyValues(flags.property, '--property');
        const query = new URLSearchParams();
        if (flags.name) query.set('name', flags.name);
        for (const t of flags.tag) query.append('tag', t);
        for (const p of flags.property) query.append('property', p);
        if (flags.sort) query.set('sort', flags.sort);
        if (flags.limit) query.set('limit', flags.limit);
        const suffix = query.size > 0 ? `?${query}` : '';
        const { items } = (await apiCall(flags, 'GET', `${assetPath(flags.registry, kind)}${suffix}`)) as {
          items: Row[];
        };
        list(flags, items, ['NAME', 'LATEST', 'LABELS', 'UPDATED', 'DESCRIPTION'], (a) => [
          a.name,
          a.latestVersion,
          Object.entries((a.labels ?? {}) as Row)
            .map(([l, v]) => `${l}=${String(v)}`)
            .join(','),
          a.updatedAt,
          a.description,
        ]);
      },
    );
}

function showCommand(kind: AssetKind): Command {
  return withRegistry(
    new Command('show').description(`show a ${kind}, or one of its versions with its files`),
  )
    .argument('<name>')
    .argument('[version]')
    .action(async (name: string, version: string | undefined, flags: Flags) => {
      checkRegistry(flags.registry);
      const path =
        version === undefined
          ? assetPath(flags.registry, kind, name)
          : versionPath(flags.registry, kind, name, version);
      show(flags, await apiCall(flags, 'GET', path));
    });
}

function versionsCommand(kind: AssetKind): Command {
  return withRegistry(new Command('versions').description(`list the versions of a ${kind}`))
    .argument('<name>')
    .action(async (name: string, flags: Flags) => {
      checkRegistry(flags.registry);
      const { items } = (await apiCall(
        flags,
        'GET',
        `${assetPath(flags.registry, kind, name)}/versions`,
      )) as { items: Row[] };
      list(flags, items, ['VERSION', 'LABELS', 'FILES', 'CREATED', 'BY'], (v) => [
        v.version,
        ((v.labels ?? []) as string[]).join(','),
        Array.isArray(v.files) ? v.files.length : '',
        v.createdAt,
        v.createdBy,
      ]);
    });
}

function deleteCommand(kind: AssetKind): Command {
  return withRegistry(
    new Command('delete').description(`delete a version of a ${kind} (its number is never reused)`),
  )
    .argument('<name>')
    .argument('<version>')
    .action(async (name: string, version: string, flags: Flags) => {
      checkRegistry(flags.registry);
      await apiCall(flags, 'DELETE', versionPath(flags.registry, kind, name, version));
      if (flags.output === 'json')
        return print({ deleted: { registry: flags.registry, kind, name, version } });
      process.stdout.write(`deleted ${kind} ${name} version ${version}\n`);
    });
}

function labelCommand(kind: AssetKind): Command {
  return withRegistry(
    new Command('label').description(
      `point a label (production, champion, …) at a version, or remove it (latest moves by itself)`,
    ),
  )
    .argument('<name>')
    .argument('<label>')
    .argument('[version]', 'the version the label names (omit with --remove)')
    .option('--remove', 'remove the label')
    .action(
      async (
        name: string,
        label: string,
        version: string | undefined,
        flags: Flags & { remove?: boolean },
      ) => {
        checkRegistry(flags.registry);
        const path = `${assetPath(flags.registry, kind, name)}/labels/${enc(label)}`;
        if (flags.remove) {
          if (version !== undefined) throw new Error('--remove takes no version');
          await apiCall(flags, 'DELETE', path);
          if (flags.output === 'json') return print({ removed: label });
          return void process.stdout.write(`removed label ${label} of ${kind} ${name}\n`);
        }
        if (version === undefined) throw new Error('give the version the label should name, or --remove');
        const set = (await apiCall(flags, 'PUT', path, { version })) as Row;
        if (flags.output === 'json') return print(set);
        process.stdout.write(`${kind} ${name}: ${label} -> ${String(set.version ?? version)}\n`);
      },
    );
}

function lineageCommand(kind: AssetKind): Command {
  return withRegistry(
    new Command('lineage').description('what a version derives from, and what derives from it'),
  )
    .argument('<name>')
    .argument('<version>')
    .action(async (name: string, version: string, flags: Flags) => {
      checkRegistry(flags.registry);
      const lineage = (await apiCall(
        flags,
        'GET',
        `${versionPath(flags.registry, kind, name, version)}/lineage`,
      )) as {
        upstream: Row[];
        downstream: Row[];
      };
      if (flags.output === 'json') return print(lineage);
      const rows = [
        ...lineage.upstream.map((r) => ['upstream', r.kind, r.uri]),
        ...lineage.downstream.map((r) => ['downstream', r.kind, r.uri]),
      ];
      list(flags, rows, ['DIRECTION', 'KIND', 'URI'], (r) => r);
    });
}

/** list, show, versions, delete, label, lineage for one kind. */
export function manageCommands(kind: AssetKind): Command[] {
  return [
    listCommand(kind),
    showCommand(kind),
    versionsCommand(kind),
    deleteCommand(kind),
    labelCommand(kind),
    lineageCommand(kind),
  ];
}
