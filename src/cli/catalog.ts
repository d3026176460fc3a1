import { Command } from 'commander';
import { apiCall, client, deleteResource, print, show, table, type ClientOptions } from './api-client.js';
import { readDocument } from './read-document.js';

/**
 * `arca catalog list|get|create|update|delete|health`: the container-registry catalog of a running
 * server, through /api/v1/catalog (see api-client for the server and how the CLI signs in).
 */
export function catalogCommand(): Command {
  const catalog = new Command('catalog').description('list, onboard and check container registries');

  client(catalog.command('list').description('list entries, optionally filtered (MongoDB-style JSON)'))
    .option('--filter <json>', 'filter, e.g. \'{"container_registry_tags": {"$in": ["ai"]}}\'')
    .option('--sort <fields>', 'comma-separated fields, "-" for descending')
    .option('--projection <fields>', 'fields to show ("a,b") or hide ("-a,-b")')
    .option('--limit <n>', 'at most this many (default 100, at most 1000)')
    .option('--skip <n>', 'skip this many first')
    .action(async (opts: ClientOptions & Record<string, string | undefined>) => {
      const body: Record<string, unknown> = {};
      if (opts.filter !== undefined) body.filter = parseJsonOption(opts.filter, '--filter');
      for (const key of ['sort', 'projection'] as const) if (opts[key] !== undefined) body[key] = opts[key];
      for (const key of ['limit', 'skip'] as const)
        if (opts[key] !== undefined) body[key] = Number(opts[key]);
      const page = (await call(opts, 'POST', '/query', body)) as { items: Entry[]; next: number | null };
      if (opts.output === 'json') return print(page);
      table(
        ['ID', 'NAME', 'TYPE', 'STORAGE', 'PUBLIC URL', 'TAGS'],
        page.items.map((e) => [
          e.container_registry_id,
          e.container_registry_name,
          e.container_registry_storage_info?.registry_type,
          e.container_registry_storage_info?.storage_type,
          e.container_registry_public_url,
          e.container_registry_tags?.join(','),
        ]),
      );
      if (page.next !== null) process.stderr.write(`more entries follow: --skip ${page.next}\n`);
    });

  client(catalog.command('get').description('show one entry').argument('<id>')).action(
    async (id: string, opts: ClientOptions) => {
      show(opts, await call(opts, 'GET', `/entries/${encodeURIComponent(id)}`));
    },
  );

  client(
    catalog.command('create').description('onboard entries from a JSON or YAML file (one entry or a list)'),
  )
    .requiredOption('-f, --file <path>', 'the entry, e.g. the AIOS onboarding JSON ("-" for stdin)')
    .action(async (opts: ClientOptions & { file: string }) => {
      const parsed = readDocument(opts.file);
      const created: Entry[] = [];
      for (const entry of Array.isArray(parsed) ? parsed : [parsed]) {
        created.push((await call(opts, 'POST', '/entries', entry)) as Entry);
      }
      if (opts.output === 'json') return print(Array.isArray(parsed) ? created : created[0]);
      for (const e of created) process.stdout.write(`created ${e.container_registry_id}\n`);
    });

  client(
    catalog
      .command('update')
      .description('update an entry with operators ($set, $unset, $push, $pull, $addToSet, $inc)')
      .argument('<id>')
      .argument('[update]', 'the update as JSON, e.g. \'{"$set": {"container_registry_name": "new"}}\''),
  )
    .option('-f, --file <path>', 'read the update from a JSON or YAML file')
    .option('--set <path=value...>', 'set a field (value parsed as JSON when it is JSON)')
    .action(
      async (
        id: string,
        text: string | undefined,
        opts: ClientOptions & { file?: string; set?: string[] },
      ) => {
        const update = (
          text !== undefined ? parseJsonOption(text, 'update') : opts.file ? readDocument(opts.file) : {}
        ) as Record<string, unknown>;
        if (opts.set) {
          const set = (update.$set ??= {}) as Record<string, unknown>;
          for (const assignment of opts.set) {
            const eq = assignment.indexOf('=');
            if (eq <= 0) throw new Error(`--set ${assignment}: expected path=value`);
            const raw = assignment.slice(eq + 1);
            set[assignment.slice(0, eq)] = isJson(raw) ? JSON.parse(raw) : raw;
          }
        }
        const entry = (await call(opts, 'PATCH', `/entries/${encodeURIComponent(id)}`, update)) as Entry;
        if (opts.output === 'json') return print(entry);
        process.stdout.write(`updated ${entry.container_registry_id}\n`);
      },
    );

  client(catalog.command('delete').description('remove an entry').argument('<id>')).action(
    async (id: string, opts: ClientOptions) => {
      await deleteResource(opts, `/api/v1/catalog/entries/${encodeURIComponent(id)}`, id, `deleted ${id}`);
    },
  );

  client(
    catalog
      .command('health')
      .description("check an entry's registry now, or show its history")
      .argument('<id>'),
  )
    .option('--history [n]', 'show the last n recorded checks instead (default 20)')
    .action(async (id: string, opts: ClientOptions & { history?: string | boolean }) => {
      const path = `/entries/${encodeURIComponent(id)}/health`;
      if (opts.history !== undefined) {
        const n = opts.history === true ? 20 : Number(opts.history);
        const { history } = (await call(opts, 'GET', `${path}?limit=${n}`)) as { history: Health[] };
        if (opts.output === 'json') return print(history);
        return table(['CHECKED', 'STATUS', 'CODE', 'LATENCY MS', 'ERROR'], history.map(healthRow));
      }
      const record = (await call(opts, 'POST', path)) as Health;
      if (opts.output === 'json') print(record);
      else table(['CHECKED', 'STATUS', 'CODE', 'LATENCY MS', 'ERROR'], [healthRow(record)]);
      if (record.status !== 'up') process.exitCode = 3;
    });

  return catalog;
}

interface Entry {
  container_registry_id: string;
  container_registry_name?: string;
  container_registry_tags?: string[];
  container_registry_public_url?: string;
  container_registry_storage_info?: { registry_type?: string; storage_type?: string };
}

interface Health {
  status: string;
  status_code: number | null;
  latency_ms: number | null;
  api_version: string | null;
  tls_expires_at: string | null;
  error: string | null;
  checked_at: string;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function parseJsonOption(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${name}: invalid JSON: ${(err as Error).message}`);
  }
}

function healthRow(h: Health): unknown[] {
  return [h.checked_at, h.status, h.status_code, h.latency_ms, h.error ?? ''];
}

function call(opts: ClientOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  return apiCall(opts, method, `/api/v1/catalog${path}`, body);
}
