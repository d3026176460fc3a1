import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** registry:2's media type for its event envelopes (`{"events":[...]}`), which receivers check. */
export const eventsMediaType = 'application/vnd.docker.distribution.events.v1+json';

/** What happened: registry:2's actions, and Arca's own (sent to webhooks only). */
export type EventAction =
  'push' | 'pull' | 'mount' | 'delete' | 'replication.finished' | 'replication.failed' | 'asset.published';

/** registry:2's media type for blobs in events (its receivers' configs ignore it by this name). */
export const blobMediaType = 'application/octet-stream';

export interface Descriptor {
  mediaType: string;
  size: number;
  digest: string;
}

/** The request that caused an event, as registry:2 records it. */
export interface RequestRecord {
  id: string;
  addr: string;
  host: string;
  method: string;
  useragent: string;
}

/** One event in registry:2's shape, so its receivers read Arca's unchanged. */
export interface RegistryEvent {
  id: string;
  timestamp: string;
  action: EventAction;
  target: {
    mediaType?: string;
    size?: number;
    digest?: string;
    length?: number;
    repository: string;
    /** The repository a blob was mounted from. */
    fromRepository?: string;
    /** Replication: the location copied to, the one copied from, and why a copy failed. */
    location?: string;
    source?: string;
    error?: string;
    /** An asset version published: its kind, name, version and format. */
    asset?: { kind: string; name: string; version: string; format: string };
    url?: string;
    tag?: string;
    references?: Descriptor[];
  };
  request: RequestRecord;
  actor: { name?: string };
  source: { addr: string; instanceID: string };
}

/** This process, as events name their source (registry:2: host name and port, an id per start). */
export const instanceID = randomUUID();
export function sourceOf(port: number | undefined): RegistryEvent['source'] {
  return { addr: port ? `${hostname()}:${port}` : hostname(), instanceID };
}

export function newEvent(
  action: EventAction,
  target: RegistryEvent['target'],
  context: { request: RequestRecord; actor?: string },
  source: RegistryEvent['source'],
): RegistryEvent {
  return {
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    action,
    target,
    request: context.request,
    actor: context.actor ? { name: context.actor } : {},
    source,
  };
}

/** The body a receiver gets: one event per envelope (registry:2 may batch; one is valid too). */
export function envelope(event: RegistryEvent): string {
  return JSON.stringify({ events: [event] });
}
