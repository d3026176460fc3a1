import { resolve } from 'node:path';
import { ApiError, print, serverUrl } from '../api-client.js';
import type { LocalFile } from '../transfer/local-files.js';
import { pushFiles, type StoredFile } from '../transfer/push-files.js';
import { PushState } from '../transfer/push-state.js';
import { progressMode, TransferProgress } from '../transfer/transfer-progress.js';
import { BlobPlaces } from '../transfer/blob-places.js';
import { DirectBlobSink } from '../transfer/direct-blob-sink.js';
import { V2BlobSink } from '../transfer/v2-blob-sink.js';
import { assetRepository, checkName, checkRegistry, checkVersion, type AssetKind } from './asset-rules.js';
import {
  assetCall as apiCall,
  resolveVersion,
  transferHttp,
  versionPath,
  type VersionView,
} from './asset-api.js';
import { interruptible } from './interruptible.js';

export interface TransferFlags {
  server?: string;
  output: 'table' | 'json';
  parallel: string;
  chunkSize: string;
}

export interface Publication {
  kind: AssetKind;
  registry: string;
  name: string;
  version: string;
  files: LocalFile[];
  /** What identifies the source in the resume state (the folder, or the YAML file). */
  sourceKey: string;
  /** description, tags, properties, type, card, spec, lineage: sent as they are. */
  metadata: Record<string, unknown>;
}

export function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${flag} ${JSON.stringify(value)}: expected a positive integer`);
  return n;
}

function alreadyPublished(p: Publication): Error {
  return new Error(
    `${p.kind} ${p.name} version ${p.version} already exists in registry ${p.registry}: published versions never change; publish a new version`,
  );
}

/**
 * Publish a version: refuse early if it exists, send every file's blob (resumable, see pushFiles),
 * then ask the server to publish the version from them; the server puts the manifest last, so the
 * version is visible only once all its files are stored.
 */
export async function publishVersion(p: Publication, flags: TransferFlags): Promise<void> {
  checkRegistry(p.registry);
  checkName(p.name);
  checkVersion(p.version);
  const parallel = positive(flags.parallel, '--parallel');
  const chunkSize = positive(flags.chunkSize, '--chunk-size') * 1024 * 1024;
  const server = serverUrl(flags);
  const path = versionPath(p.registry, p.kind, p.name, p.version);
  const repository = assetRepository(p.registry, p.kind, p.name);
  const state = PushState.open([server, repository, p.version, resolve(p.sourceKey)]);
  const existing = await publishedVersion(flags, path);
  if (existing) {
    // A run stopped after the publish but before forgetting its state: the same files, so done.
    const sent = state.exists ? filesOf(p.files, state) : undefined;
    if (!sent || !sameFiles(existing, sent)) throw alreadyPublished(p);
    state.remove();
    return report(flags, existing, {
      files: sent.length,
      bytesSent: 0,
      alreadyThere: sent.length,
      seconds: 0,
    });
  }
  // A link to a version that does not exist (or that the caller cannot read) fails before any upload.
  for (const uri of (p.metadata.lineage as string[] | undefined) ?? []) {
    await resolveVersion(flags, uri, undefined, p.registry).catch((err: Error) => {
      throw new Error(`--lineage ${uri}: ${err.message}`);
    });
  }
  const http = transferHttp(flags);
  const places = BlobPlaces.forServer(server);
  // Straight to the registry's bucket when it offers it, else through /v2.
  const inRegistry = repository.slice(p.registry.length + 1);
  const sink = new DirectBlobSink(
    http,
    p.registry,
    inRegistry,
    new V2BlobSink(http, repository, chunkSize, places),
    Math.max(chunkSize, 5 * 1024 * 1024),
    places,
  );
  const progress = new TransferProgress(progressMode(flags.output), `pushing ${p.name}:${p.version}`);
  const started = Date.now();
  const pushed = await interruptible(
    'run the same command again to continue; files already sent are not sent again',
    (signal) => pushFiles(p.files, { sink, state, progress, parallel, signal }),
  );
  let view: VersionView;
  try {
    view = (await apiCall(flags, 'POST', `${path.slice(0, path.lastIndexOf('/'))}`, {
      version: p.version,
      ...p.metadata,
      files: pushed.files,
    })) as VersionView;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 409) throw err;
    // Published meanwhile (a lost answer, a run beside this one): success only if with these files.
    const now = await publishedVersion(flags, path);
    if (!now || !sameFiles(now, pushed.files))
      throw new Error(`${err.message}: published versions never change; publish a new version`);
    view = now;
  }
  state.remove();
  report(flags, view, {
    files: pushed.files.length,
    bytesSent: pushed.bytesSent,
    alreadyThere: pushed.alreadyThere,
    seconds: (Date.now() - started) / 1000,
  });
}

interface TransferSummary {
  files: number;
  bytesSent: number;
  alreadyThere: number;
  seconds: number;
}

function report(flags: TransferFlags, view: VersionView, transfer: TransferSummary): void {
  if (flags.output === 'json') return print({ ...view, transfer });
  process.stdout.write(
    `published ${view.uri} (${transfer.files} files, ${transfer.alreadyThere} already in the registry)\n`,
  );
}

/** The version, or undefined when it is not published. */
async function publishedVersion(flags: TransferFlags, path: string): Promise<VersionView | undefined> {
  try {
    return (await apiCall(flags, 'GET', path)) as VersionView;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** The files as a previous run sent them (digests from its state), or undefined if one was not sent. */
function filesOf(files: LocalFile[], state: PushState): StoredFile[] | undefined {
  const sent: StoredFile[] = [];
  for (const f of files) {
    const known = state.get(f.path, f.size, f.mtimeMs);
    if (!known.done || known.digest === undefined) return undefined;
    sent.push({ path: f.path, size: f.size, digest: known.digest });
  }
  return sent;
}

/** Whether a published version holds exactly these files (paths, sizes, digests). */
function sameFiles(view: VersionView, files: StoredFile[]): boolean {
  const key = (f: { path: string | null; size: number | string; digest: string }) =>
    `${f.path}\u0000${Number(f.size)}\u0000${f.digest}`;
  const published = view.files
    .filter((f) => f.path !== null)
    .map(key)
    .sort();
  const ours = files.map(key).sort();
  return published.length === ours.length && published.every((k, i) => k === ours[i]);
}
