import { ApiError, serverUrl } from '../api-client.js';
import { ServerAuth } from '../transfer/server-auth.js';
import { TransferHttp } from '../transfer/transfer-http.js';
import type { VersionView } from '../../assets/index.js';
import { plural, type AssetKind } from './asset-rules.js';

export type { VersionView };

const enc = encodeURIComponent;

const clients = new Map<string, TransferHttp>();

/** One client per server for a command's run: the token it signs in with is fetched once. */
export function transferHttp(opts: { server?: string }): TransferHttp {
  const server = serverUrl(opts);
  let http = clients.get(server);
  if (!http) {
    http = new TransferHttp(new ServerAuth(server));
    clients.set(server, http);
  }
  return http;
}

/** One JSON request to the asset API; an error answer becomes an ApiError with the server's message. */
export async function assetCall(
  opts: { server?: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const http = transferHttp(opts);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await http.send({
    method,
    url: path,
    headers,
    body: body === undefined ? undefined : () => JSON.stringify(body),
  });
  if (!res.ok) {
    const err = await http.failure(res);
    throw new ApiError(err.message, err.status);
  }
  const text = await res.text();
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** `/api/v1/registries/<r>/<kinds>[/<name>]` */
export function assetPath(registry: string, kind: AssetKind, name?: string): string {
  const base = `/api/v1/registries/${enc(registry)}/${plural(kind)}`;
  return name === undefined ? base : `${base}/${enc(name)}`;
}

/** `/api/v1/registries/<r>/<kinds>/<name>/versions/<v>` */
export function versionPath(registry: string, kind: AssetKind, name: string, version: string): string {
  return `${assetPath(registry, kind, name)}/versions/${enc(version)}`;
}

/** Resolve an address (`arca://…`, `azureml://…`, `azureml:<name>@<label>`, `<name>:<version>`). */
export async function resolveVersion(
  opts: { server?: string },
  uri: string,
  kind?: AssetKind,
  registry?: string,
): Promise<VersionView> {
  const query = new URLSearchParams({ uri });
  if (kind !== undefined) query.set('kind', kind);
  if (registry !== undefined) query.set('registry', registry);
  return (await assetCall(opts, 'GET', `/api/v1/assets/resolve?${query}`)) as VersionView;
}
