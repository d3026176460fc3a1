import { Command, Option } from 'commander';
import { stringify as toYaml } from 'yaml';
import { readLogin } from './login-store.js';

/** Options every command that talks to a server takes. */
export interface ClientOptions {
  server?: string;
  output: 'table' | 'json';
}

export const defaultServer = 'http://127.0.0.1:5000';

/** Add `--server` and `--output` to a command that talks to a server. */
export function client(command: Command): Command {
  return command
    .option('--server <url>', `the Arca server (default: $ARCA_SERVER or ${defaultServer})`)
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    );
}

export function serverUrl(opts: { server?: string }): string {
  return (opts.server ?? process.env.ARCA_SERVER ?? defaultServer).replace(/\/+$/, '');
}

/** The server's answer to a request that failed, with the message its error body carries. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function send(url: string, init: RequestInit, server: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new Error(`cannot reach ${server}: ${cause}`);
  }
}

function errorMessage(parsed: unknown, res: Response): string {
  const body = parsed as
    | {
        detail?: string;
        title?: string;
        error_description?: string;
        errors?: { message?: string }[];
      }
    | undefined;
  return (
    body?.detail ?? body?.error_description ?? body?.errors?.[0]?.message ?? body?.title ?? res.statusText
  );
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

/** Exchange a stored refresh token for an access token (the OAuth2 refresh grant). */
async function accessToken(server: string, refreshToken: string): Promise<string> {
  const res = await send(
    `${server}/auth/token`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    },
    server,
  );
  const parsed = await readJson(res);
  if (!res.ok) {
    throw new ApiError(
      `stored login refused: ${errorMessage(parsed, res)}; run arca login again`,
      res.status,
    );
  }
  return (parsed as { access_token: string }).access_token;
}

/**
 * The Authorization header for a server: ARCA_API_KEY, else ARCA_USERNAME and ARCA_PASSWORD, else
 * what `arca login` stored for that server; none when there is nothing.
 */
export async function authorizationFor(server: string): Promise<string | undefined> {
  const apiKey = process.env.ARCA_API_KEY;
  if (apiKey) return `Bearer ${apiKey}`;
  const user = process.env.ARCA_USERNAME;
  if (user) return `Basic ${Buffer.from(`${user}:${process.env.ARCA_PASSWORD ?? ''}`).toString('base64')}`;
  const login = readLogin(server);
  if (login) return `Bearer ${await accessToken(server, login.refresh_token)}`;
  return undefined;
}

/** One JSON request to the server; an error answer becomes an ApiError with the server's message. */
export async function apiCall(
  opts: { server?: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const server = serverUrl(opts);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const authorization = await authorizationFor(server);
  if (authorization) headers.Authorization = authorization;
  const res = await send(
    `${server}${path}`,
    { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
    server,
  );
  const parsed = await readJson(res);
  if (!res.ok) {
    const hint = res.status === 401 ? ' (sign in with arca login, or set ARCA_API_KEY)' : '';
    throw new ApiError(`${errorMessage(parsed, res)} (HTTP ${res.status})${hint}`, res.status);
  }
  return parsed;
}

/** A JSON object the server answered with. */
export type Row = Record<string, unknown>;

/** A path segment, percent-encoded. */
export const enc = encodeURIComponent;

export function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One resource: JSON with `--output json`, YAML otherwise. */
export function show(opts: ClientOptions, value: unknown): void {
  if (opts.output === 'json') print(value);
  else process.stdout.write(toYaml(value));
}

export function table(head: string[], rows: unknown[][]): void {
  const cells = [head, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const row of cells) {
    process.stdout.write(
      `${row
        .map((c, i) => (c ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

/** A list: the items as JSON with `--output json`, a table otherwise. */
export function list<T>(opts: ClientOptions, items: T[], head: string[], row: (item: T) => unknown[]): void {
  if (opts.output === 'json') print(items);
  else table(head, items.map(row));
}

/** GET a collection (`{"items": […]}`) and print it as a list (see `list`). */
export async function listResources(
  opts: ClientOptions,
  path: string,
  head: string[],
  row: (item: Row) => unknown[],
): Promise<void> {
  const { items } = (await apiCall(opts, 'GET', path)) as { items: Row[] };
  list(opts, items, head, row);
}

/** DELETE a resource and say so: `{"deleted": key}` with `--output json`, `message` otherwise. */
export async function deleteResource(
  opts: ClientOptions,
  path: string,
  key: string,
  message: string,
): Promise<void> {
  await apiCall(opts, 'DELETE', path);
  if (opts.output === 'json') print({ deleted: key });
  else process.stdout.write(`${message}\n`);
}

/** Read a secret from stdin (all of it, trailing newline removed). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
