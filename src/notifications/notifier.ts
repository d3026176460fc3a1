import type { NotificationEndpoint } from '../config/index.js';
import type { Executor, MetadataDb } from '../db/index.js';
import type { JobQueue } from '../jobs/index.js';
import type { ManifestObserver, ManifestPull, ManifestPut, ManifestRemoval } from '../oci/index.js';
import { endpointWants } from './endpoint-filter.js';
import { newEvent, type RegistryEvent } from './registry-event.js';
import { currentRequest } from './request-context.js';
import { webhooksOf } from './webhook-store.js';

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
 * if the change committed; a pull (a read, no transaction) is enqueued right after it.
 */
export class Notifier implements ManifestObserver {
  constructor(private readonly options: NotifierOptions) {}

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

  private async emit(db: Executor, action: RegistryEvent['action'], target: RegistryEvent['target']) {
    const { endpoints, queue } = this.options;
    const wanted: DeliveryTarget[] = endpoints
      .filter((e) => endpointWants(e, { action, target }))
      .map((e) => ({ endpoint: e.name }));
    const registry = this.options.registryOf(target.repository);
    for (const hook of await webhooksOf(db, registry)) {
      if ((JSON.parse(hook.events) as string[]).includes(action)) wanted.push({ webhook: hook.id });
    }
    if (wanted.length === 0) return;
    const event = newEvent(action, target, currentRequest(), this.options.source());
    for (const to of wanted) await queue.enqueue(db, deliveryKind, { to, event } satisfies Delivery);
  }

  private url(repository: string, digest: string): string {
    return `${this.options.baseUrl().replace(/\/+$/, '')}/v2/${repository}/manifests/${digest}`;
  }
}
