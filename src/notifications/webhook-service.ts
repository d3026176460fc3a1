import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CredentialService } from '../credentials/index.js';
import type { Database } from '../db/index.js';
import { AppError } from '../errors/index.js';
import type { Outbound } from '../net/index.js';
import * as store from './webhook-store.js';

/** Events a webhook may ask for; more come as rooms emit them (assets, replication). */
export const webhookEvents = [
  'push',
  'pull',
  'delete',
  'replication.finished',
  'replication.failed',
  'asset.published',
] as const;

/** A webhook as the API shows it: never its secret. */
export interface WebhookView {
  id: string;
  registry: string;
  url: string;
  events: string[];
  created_at: string;
  created_by: string | null;
}

const minSecretLength = 16;
const maxSecretLength = 1024;

/** The row's identity the sealed secret is bound to: a sealed value cannot be moved to another webhook. */
const aad = (row: { id: string; registry: string }) => `webhook:${row.registry}:${row.id}`;

function view(row: store.WebhookRow): WebhookView {
  return {
    id: row.id,
    registry: row.registry,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    created_at: new Date(Number(row.created_at)).toISOString(),
    created_by: row.created_by,
  };
}

/**
 * Webhooks per registry: created with a URL, the events wanted and a secret that signs each
 * delivery (HMAC-SHA256); the secret is sealed under the credentials' master keys and never shown.
 */
export class WebhookService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: Pick<CredentialService, 'sealSecret' | 'openSecret'>,
    private readonly outbound: Pick<Outbound, 'refusal'>,
  ) {}

  async create(registry: string, body: unknown, by: string | null): Promise<WebhookView> {
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const url = this.checkUrl(input.url);
    const events = checkEvents(input.events);
    const secret = input.secret;
    if (typeof secret !== 'string' || secret.length < minSecretLength || secret.length > maxSecretLength) {
      throw new AppError(
        'REQUEST_INVALID',
        `secret must be a string of ${minSecretLength} to ${maxSecretLength} characters`,
      );
    }
    const unknown = Object.keys(input).filter((k) => !['url', 'events', 'secret'].includes(k));
    if (unknown.length > 0) throw new AppError('REQUEST_INVALID', `unknown field '${unknown[0]}'`);
    const id = randomUUID();
    const { keyId, sealed } = this.secrets.sealSecret(secret, aad({ id, registry }));
    const row: store.WebhookRow = {
      id,
      registry,
      url,
      events: JSON.stringify(events),
      key_id: keyId,
      sealed,
      created_at: Date.now(),
      created_by: by,
    };
    await store.insertWebhook(this.db, row);
    return view(row);
  }

  async list(registry: string): Promise<WebhookView[]> {
    return (await store.webhooksOf(this.db, registry)).map(view);
  }

  async get(registry: string, id: string): Promise<WebhookView> {
    const row = await store.webhookById(this.db, id);
    if (!row || row.registry !== registry)
      throw new AppError('NOT_FOUND', `no webhook '${id}' in '${registry}'`);
    return view(row);
  }

  async delete(registry: string, id: string): Promise<void> {
    if (!(await store.deleteWebhook(this.db, registry, id))) {
      throw new AppError('NOT_FOUND', `no webhook '${id}' in '${registry}'`);
    }
  }

  /** Remove every webhook of a registry (it is being deleted: a new one of that name starts with none). */
  async removeRegistry(registry: string): Promise<void> {
    await store.deleteWebhooksOf(this.db, registry);
  }

  /** The row and its opened secret, for a delivery; undefined when the webhook was deleted. */
  async open(id: string): Promise<{ url: string; secret: string } | undefined> {
    const row = await store.webhookById(this.db, id);
    if (!row) return undefined;
    return { url: row.url, secret: this.secrets.openSecret(row.key_id, row.sealed, aad(row)) };
  }

  /** Re-seal secrets sealed with an older master key; returns how many. */
  async resealAll(currentKeyId: string): Promise<number> {
    const rows = await store.webhooksSealedWithOtherKeys(this.db, currentKeyId);
    for (const row of rows) {
      const secret = this.secrets.openSecret(row.key_id, row.sealed, aad(row));
      const { keyId, sealed } = this.secrets.sealSecret(secret, aad(row));
      await store.resealWebhook(this.db, row.id, keyId, sealed);
    }
    return rows.length;
  }

  private checkUrl(value: unknown): string {
    let url: URL;
    try {
      url = new URL(typeof value === 'string' ? value : '');
    } catch {
      throw new AppError('REQUEST_INVALID', 'url must be an http or https URL');
    }
    if (url.username || url.password) throw new AppError('REQUEST_INVALID', 'url must not carry credentials');
    const refusal = this.outbound.refusal(url);
    if (refusal) throw new AppError('REQUEST_INVALID', `url: ${refusal}`);
    return url.toString();
  }
}

function checkEvents(value: unknown): string[] {
  // Arca's own events are asked for by name: a webhook made without a list gets registry:2's.
  if (value === undefined) return ['push', 'pull', 'delete'];
  if (!Array.isArray(value) || value.length === 0) {
    throw new AppError('REQUEST_INVALID', `events must be a non-empty list of ${webhookEvents.join(', ')}`);
  }
  for (const e of value) {
    if (!(webhookEvents as readonly unknown[]).includes(e)) {
      throw new AppError(
        'REQUEST_INVALID',
        `unknown event ${JSON.stringify(e)}: one of ${webhookEvents.join(', ')}`,
      );
    }
  }
  return [...new Set(value as string[])];
}
