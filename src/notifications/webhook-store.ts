import type { Selectable } from 'kysely';
import type { Executor } from '../db/index.js';
import type { WebhooksTable } from './tables.js';

export type WebhookRow = Selectable<WebhooksTable>;

export async function insertWebhook(db: Executor, row: WebhookRow): Promise<void> {
  await db.insertInto('webhooks').values(row).execute();
}

export async function webhooksOf(db: Executor, registry: string): Promise<WebhookRow[]> {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('registry', '=', registry)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function webhookById(db: Executor, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function deleteWebhook(db: Executor, registry: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('webhooks')
    .where('registry', '=', registry)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function deleteWebhooksOf(db: Executor, registry: string): Promise<number> {
  const result = await db.deleteFrom('webhooks').where('registry', '=', registry).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function webhooksSealedWithOtherKeys(db: Executor, keyId: string): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().where('key_id', '!=', keyId).execute();
}

export async function resealWebhook(db: Executor, id: string, keyId: string, sealed: string): Promise<void> {
  await db.updateTable('webhooks').set({ key_id: keyId, sealed }).where('id', '=', id).execute();
}

/** The registries having a webhook that wants `event`. */
export async function registriesWanting(db: Executor, event: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('webhooks')
    .select('registry')
    .distinct()
    .where('events', 'like', `%"${event}"%`)
    .execute();
  return new Set(rows.map((r) => r.registry));
}
