import { resolve } from 'node:path';
import { ApiError, print, serverUrl } from '../api-client.js';
import type { LocalFile } from '../transfer/local-files.js';
import { pushFiles } from '../transfer/push-files.js';
import { PushState } from '../transfer/push-state.js';
import { progressMode, TransferProgress } from '../transfer/transfer-progress.js';
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
  try {
    await apiCall(flags, 'GET', path);
    throw alreadyPublished(p);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  // A link to a version that does not exist (or that the caller cannot read) fails before any upload.
  for (const uri of (p.metadata.lineage as string[] | undefined) ?? []) {
    await resolveVersion(flags, uri, undefined, p.registry).catch((err: Error) => {
      throw new Error(`--lineage ${uri}: ${err.message}`);
    });
  }
  const repository = assetRepository(p.registry, p.kind, p.name);
  const state = PushState.open([server, repository, p.version, resolve(p.sourceKey)]);
  const http = transferHttp(flags);
  // Straight to the registry's bucket when it offers it, else through /v2.
  const inRegistry = repository.slice(p.registry.length + 1);
  const sink = new DirectBlobSink(
    http,
    p.registry,
    inRegistry,
    new V2BlobSink(http, repository, chunkSize),
    Math.max(chunkSize, 5 * 1024 * 1024),
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
    if (err instanceof ApiError && err.status === 409)
      throw new Error(`${err.message}: published versions never change; publish a new version`);
    throw err;
  }
  state.remove();
  const transfer = {
    files: pushed.files.length,
    bytesSent: pushed.bytesSent,
    alreadyThere: pushed.alreadyThere,
    seconds: (Date.now() - started) / 1000,
  };
  if (flags.output === 'json') return print({ ...view, transfer });
  process.stdout.write(
    `published ${view.uri ?? `${p.name}:${p.version}`} (${transfer.files} files, ${pushed.alreadyThere} already in the registry)\n`,
  );
}
