import type { AssetObserver } from '../assets/index.js';
import type { NotificationEndpoint } from '../config/index.js';
import type { Executor, MetadataDb } from '../db/index.js';
import type { JobQueue } from '../jobs/index.js';
import type {
  BlobObserver,
  ReplicationObserver,
  ManifestObserver,
  ManifestPull,
  ManifestPut,
  ManifestRemoval,
} from '../oci/index.js';
import { endpointWants } from './endpoint-filter.js';
import { blobMediaType, newEvent, type RegistryEvent } from './registry-event.js';
import { currentRequest } from './request-context.js';
import { registriesWanting, webhooksOf } from './webhook-store.js';

/** How stale the list of registries with pull webhooks may be (a new webhook's first pulls may be missed). */
const pullCacheMs = 2_000;

/** The job kind of one delivery: one event to one endpoint or webhook. */
export const deliveryKind = 'notification.deliver';

/** Where a delivery goes: a configured registry:2 endpoint by name, or a webhook by id. */
export type DeliveryTarget = { endpoint: string } | { webhook: string };

export interface Delivery {
  to: DeliveryTarget;
  event: RegistryEvent;
}

export interface NotifierOptions {
  queue: JobQueue;
  meta: MetadataDb;
  endpoints: readonly NotificationEndpoint[];
  includeReferences: boolean;
  /** The registry (lowercase path) a repository belongs to. */
  registryOf(repository: string): string;
  /** The server's public base URL, for the events' `target.url`. */
  baseUrl(): string;
  source(): RegistryEvent['source'];
}

/**
 * Turns manifest writes and pulls into deliveries in the durable outbox (the job table): each
 * event becomes one job per endpoint and per webhook of the repository's registry that wants it.
 * Pushes and deletes are enqueued inside the write's own transaction, so an event exists if and only
 * if the change committed; a pull (a read, no transaction) is enqueued right after it. Blob events
 * (`blobObserver`) go to the registry:2 endpoints only, as registry:2 sends them; webhooks are told
 * of manifests (images and artifacts), not of each layer.
 */
export class Notifier implements ManifestObserver {
  /** Registries with a webhook wanting pulls, read at most every `pullCacheMs`: a pull costs no query otherwise. */
  private pullRegistries: { at: number; registries: Promise<Set<string>> } | undefined;
  private readonly endpointsWantPulls: boolean;

  constructor(private readonly options: NotifierOptions) {
    this.endpointsWantPulls = options.endpoints.some(
      (e) => !e.disabled && !e.ignore.actions.includes('pull'),
    );
  }

  async inPut(tx: Executor, put: ManifestPut): Promise<void> {
    const { manifest } = put;
    const references = [...manifest.blobs, ...manifest.manifests].map((d) => ({
      mediaType: d.mediaType,
      size: d.size,
      digest: d.digest,
    }));
    await this.emit(tx, 'push', {
      mediaType: manifest.mediaType,
      size: put.size,
      digest: put.digest,
      length: put.size,
      repository: put.repository,
      url: this.url(put.repository, put.digest),
      ...(put.tag !== null ? { tag: put.tag } : {}),
      ...(this.options.includeReferences && references.length > 0 ? { references } : {}),
    });
  }

  async inDelete(tx: Executor, removal: ManifestRemoval): Promise<void> {
    await this.emit(tx, 'delete', {
      repository: removal.repository,
      ...(removal.digest ? { digest: removal.digest } : {}),
      ...(removal.tag ? { tag: removal.tag } : {}),
    });
  }

  async afterPull(pull: ManifestPull): Promise<void> {
    if (
      !this.endpointsWantPulls &&
      !(await this.pullWebhooks()).has(this.options.registryOf(pull.repository))
    ) {
      return;
    }
    await this.emit(this.options.meta.db, 'pull', {
      mediaType: pull.mediaType,
      size: pull.size,
      digest: pull.digest,
      length: pull.size,
      repository: pull.repository,
      url: this.url(pull.repository, pull.digest),
      ...(pull.tag !== null ? { tag: pull.tag } : {}),
    });
  }

  /** Wake the workers once the write's transaction has committed. */
  async afterPut(): Promise<void> {
    this.options.queue.wake();
  }

  async afterDelete(): Promise<void> {
    this.options.queue.wake();
  }

  /** Blob uploads (push), mounts, deletes and pulls, for the registry:2 endpoints. */
  blobObserver(): BlobObserver {
    const target = (repository: string, digest: string, size?: number) => ({
      mediaType: blobMediaType,
      ...(size !== undefined ? { size, length: size } : {}),
      digest,
      repository,
      url: `${this.options.baseUrl().replace(/\/+$/, '')}/v2/${repository}/blobs/${digest}`,
    });
    return {
      inLink: async (tx, link) => {
        if (link.via === 'adopt') return;
        const action = link.via === 'mount' ? 'mount' : 'push';
        const from = link.from !== undefined ? { fromRepository: link.from } : {};
        await this.emit(tx, action, { ...target(link.repository, link.digest, link.size), ...from }, false);
      },
      afterLink: async () => this.options.queue.wake(),
      afterDelete: async (removal) => {
        await this.emit(this.options.meta.db, 'delete', target(removal.repository, removal.digest), false);
        this.options.queue.wake();
      },
      afterPull: async (pull) => {
        if (!this.endpointsWantPulls) return;
        await this.emit(this.options.meta.db, 'pull', target(pull.repository, pull.digest, pull.size), false);
      },
    };
  }

  /** Copies to additional locations, finished (in the recording transaction) or given up: webhooks only. */
  replicationObserver(): ReplicationObserver {
    const target = (e: Parameters<NonNullable<ReplicationObserver['inFinished']>>[1]) => ({
      mediaType: blobMediaType,
      size: e.size,
      length: e.size,
      digest: e.digest,
      repository: e.repository,
      location: e.location,
      source: e.source,
      ...(e.error !== undefined ? { error: e.error } : {}),
    });
    return {
      inFinished: (tx, e) => this.emit(tx, 'replication.finished', target(e), true, false),
      afterFailed: async (e) => {
        await this.emit(this.options.meta.db, 'replication.failed', target(e), true, false);
        this.options.queue.wake();
      },
    };
  }

  /** Asset versions published (through the API or recognized in a push), in the recording transaction: webhooks only. */
  assetObserver(): AssetObserver {
    return {
      inPublished: (tx, v) =>
        this.emit(
          tx,
          'asset.published',
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: v.digest,
            repository: v.repository,
            tag: v.version,
            url: this.url(v.repository, v.digest),
            asset: { kind: v.kind, name: v.name, version: v.version, format: v.format },
          },
          true,
          false,
        ),
    };
  }

  private async emit(
    db: Executor,
    action: RegistryEvent['action'],
    target: RegistryEvent['target'],
    webhooks = true,
    /** registry:2's endpoints: not for Arca's own actions, which registry:2 never sends. */
    toEndpoints = true,
  ) {
    const { endpoints, queue } = this.options;
    const wanted: DeliveryTarget[] = (toEndpoints ? endpoints : [])
      .filter((e) => endpointWants(e, { action, target }))
      .map((e) => ({ endpoint: e.name }));
    if (webhooks) {
      const registry = this.options.registryOf(target.repository);
      for (const hook of await webhooksOf(db, registry)) {
        if ((JSON.parse(hook.events) as string[]).includes(action)) wanted.push({ webhook: hook.id });
      }
    }
    if (wanted.length === 0) return;
    const event = newEvent(action, target, currentRequest(), this.options.source());
    for (const to of wanted) await queue.enqueue(db, deliveryKind, { to, event } satisfies Delivery);
  }

  private pullWebhooks(): Promise<Set<string>> {
    const now = Date.now();
    if (!this.pullRegistries || now - this.pullRegistries.at > pullCacheMs) {
      const registries = registriesWanting(this.options.meta.db, 'pull');
      // A failed read is not kept: the next pull asks again.
      registries.catch(() => (this.pullRegistries = undefined));
      this.pullRegistries = { at: now, registries };
    }
    return this.pullRegistries.registries;
  }

  private url(repository: string, digest: string): string {
    return `${this.options.baseUrl().replace(/\/+$/, '')}/v2/${repository}/manifests/${digest}`;
  }
}
