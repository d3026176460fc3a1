import { join } from 'node:path';
import type { Logger } from 'pino';
import { openAssets, type Assets } from './assets/index.js';
import type { ArcaConfig } from './config/index.js';
import { CredentialService, MasterKeys } from './credentials/index.js';
import { openDatabase, type MetadataDb } from './db/index.js';
import type { DestinationGuard } from './net/index.js';
import { JobQueue } from './jobs/index.js';
import { Distribution, Replicator, type UploadLimits } from './oci/index.js';
import { openRegistries, registryLocator, type OpenedRegistries } from './registries/index.js';
import { StorageMetrics } from './storage/index.js';

export interface CoreOptions {
  /** Open this database instead of `database.url` (a dry run's empty stand-in). */
  databaseUrl?: string;
  /** Where the master keys are read from; default the process environment. */
  keyEnv?: NodeJS.ProcessEnv;
  /** Re-seal the credentials under the current master key, logging how many (a server start). */
  reseal?: Logger;
  /** The outbound policy for the object stores' connections. */
  guard?: DestinationGuard;
  /** Write-probe the default storage before going on (skipped by a dry run, which writes nothing). */
  pingStorage?: boolean;
  uploadLimits?: UploadLimits;
  /** Where the asset indexer reports a manifest it could not record; default standard error. */
  log?: Pick<Logger, 'error'>;
}

/** What `arca serve` and `arca import` both stand on: database, credentials, storage, OCI services. */
export interface Core {
  readonly meta: MetadataDb;
  readonly credentials: CredentialService;
  readonly opened: OpenedRegistries;
  readonly distribution: Distribution;
  /** Versioned assets; their indexer observes every manifest write, whoever writes (a push, an import). */
  readonly assets: Assets;
  /** What every store of this core counts (the server's /metrics shows it). */
  readonly storageMetrics: StorageMetrics;
  /** The job table's front: jobs are queued through it by any process (a server's worker runs them). */
  readonly queue: JobQueue;
  /** Replication: every blob link of this core (a push, an import) owes its additional locations a copy. */
  readonly replicator: Replicator;
  close(): Promise<void>;
}

/**
 * Open the database (migrated), the credentials under the master keys, the registries with their
 * locations' storage, and the OCI services over them: the one start-up path, so a server and an
 * import see the same repositories in the same places. On failure nothing stays open.
 */
export async function openCore(config: ArcaConfig, options: CoreOptions = {}): Promise<Core> {
  let meta: MetadataDb;
  try {
    meta = await openDatabase(options.databaseUrl ?? config.database.url);
  } catch (err) {
    throw new Error(`database is not usable: ${(err as Error).message}`);
  }
  try {
    let credentials: CredentialService;
    try {
      const keys = MasterKeys.load(options.keyEnv ?? process.env, join(config.datadir, 'credentials.key'));
      credentials = new CredentialService(meta.db, keys);
      if (options.reseal) {
        // After a key change (ARCA_MASTER_KEY with the old one in ARCA_MASTER_KEY_PREVIOUS): re-seal.
        const resealed = await credentials.resealAll();
        if (resealed > 0)
          options.reseal.info({ resealed }, 'credentials re-sealed with the current master key');
      }
    } catch (err) {
      throw new Error(`credentials: ${(err as Error).message}`);
    }
    const storageMetrics = new StorageMetrics();
    const opened = await openRegistries(config, meta.db, credentials, {
      guard: options.guard,
      metrics: storageMetrics,
    });
    if (options.pingStorage) {
      await opened.defaultStorage.ping().catch((err: unknown) => {
        throw new Error(`storage (${opened.defaultStorage.kind}) is not usable: ${(err as Error).message}`);
      });
    }
    const here = config.location;
    if (here !== undefined && here !== 'default' && !(here in config.locations)) {
      throw new Error(
        `location: '${here}' is not one of the configured locations (default, ${Object.keys(config.locations).join(', ')})`,
      );
    }
    const distribution = new Distribution(meta, opened.registries, options.uploadLimits, here);
    const queue = new JobQueue(meta, { maxAttempts: config.jobs.maxattempts });
    const replicator = new Replicator(meta, opened.registries, queue);
    distribution.blobs.observe(replicator);
    const assets = openAssets(
      meta,
      distribution,
      registryLocator(opened.registries),
      options.log ?? stderrLog,
    );
    distribution.manifests.observe(assets.indexer);
    return {
      meta,
      credentials,
      opened,
      distribution,
      assets,
      storageMetrics,
      queue,
      replicator,
      close: () => meta.close(),
    };
  } catch (err) {
    await meta.close();
    throw err;
  }
}

/** The indexer's reports for a command without a logger (an import): one line each. */
const stderrLog: Pick<Logger, 'error'> = {
  error: ((obj: unknown, msg?: string) => {
    const err = (obj as { err?: Error }).err;
    process.stderr.write(`${msg ?? ''}${err ? `: ${err.message}` : ''}\n`);
  }) as Logger['error'],
};
