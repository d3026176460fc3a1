import { apiCall } from '../api-client.js';
import { plural, type AssetKind } from './asset-rules.js';

const enc = encodeURIComponent;

/** A file of a published version. */
export interface VersionFile {
  path: string;
  size: number;
  digest: string;
  mediaType?: string;
}

/** The server's view of one version (the asset API contract). */
export interface VersionView {
  registry: string;
  kind: AssetKind;
  name: string;
  version: string;
  uri: string;
  digest: string;
  description?: string | null;
  files: VersionFile[];
  lineage?: string[];
  labels?: string[];
  createdAt?: string;
  createdBy?: string | null;
  [key: string]: unknown;
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
  kind: AssetKind,
  registry?: string,
): Promise<VersionView> {
  const query = new URLSearchParams({ uri, kind });
  if (registry !== undefined) query.set('registry', registry);
  return (await apiCall(opts, 'GET', `/api/v1/assets/resolve?${query}`)) as VersionView;
}
