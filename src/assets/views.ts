import type { AssetKey, AssetKind } from './kinds.js';
import { assetUri } from './kinds.js';
import type { AssetRow } from './store/assets.js';
import type { VersionKey } from './store/lineage.js';
import type { FileRow, VersionRow } from './store/versions.js';

export interface AssetView {
  registry: string;
  kind: AssetKind;
  name: string;
  description: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  latestVersion: string | null;
  labels: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface FileView {
  path: string | null;
  size: number;
  digest: string;
  mediaType: string;
}

export interface VersionRef {
  registry: string;
  kind: AssetKind;
  name: string;
  version: string;
  uri: string;
}

export interface VersionView {
  registry: string;
  kind: AssetKind;
  name: string;
  version: string;
  uri: string;
  digest: string;
  format: string;
  description: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  type: string | null;
  card: Record<string, unknown> | null;
  spec: Record<string, unknown> | null;
  files: FileView[];
  lineage: string[];
  labels: string[];
  flags: string[];
  createdAt: string;
  createdBy: string | null;
}

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();
const json = <T>(text: string | null, fallback: T): T => (text === null ? fallback : (JSON.parse(text) as T));

export function assetView(row: AssetRow, labels: { label: string; version: string }[]): AssetView {
  return {
    registry: row.registry,
    kind: row.kind as AssetKind,
    name: row.name,
    description: row.description,
    tags: json(row.tags, {}),
    properties: json(row.properties, {}),
    latestVersion: row.latest_version,
    labels: Object.fromEntries(labels.map((l) => [l.label, l.version])),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function fileView(row: FileRow): FileView {
  return { path: row.path, size: Number(row.size), digest: row.digest, mediaType: row.media_type };
}

export function versionRef(v: VersionKey): VersionRef {
  return {
    registry: v.registry,
    kind: v.kind,
    name: v.name,
    version: v.version,
    uri: assetUri(v, v.version),
  };
}

export function versionView(
  key: AssetKey,
  row: VersionRow,
  files: FileRow[],
  lineage: VersionKey[],
  labels: string[],
): VersionView {
  return {
    ...key,
    version: row.version,
    uri: assetUri(key, row.version),
    digest: row.digest,
    format: row.format,
    description: row.description,
    tags: json(row.tags, {}),
    properties: json(row.properties, {}),
    type: row.type,
    card: json(row.card, null),
    spec: json(row.spec, null),
    files: files.map(fileView),
    lineage: lineage.map((l) => assetUri(l, l.version)),
    labels,
    flags: json(row.flags, []),
    createdAt: iso(row.created_at),
    createdBy: row.created_by,
  };
}
