/** The notifications room's table: webhooks per registry. Times are milliseconds since the epoch. */

/** A webhook: where a registry's events go, which ones, and the secret that signs them (sealed). */
export interface WebhooksTable {
  id: string;
  /** The registry's path (lowercase name). */
  registry: string;
  url: string;
  /** JSON array of event names (`push`, `pull`, `delete`). */
  events: string;
  /** The master key that sealed the secret, and the sealed secret. */
  key_id: string;
  sealed: string;
  created_at: number;
  created_by: string | null;
}

export interface NotificationsTables {
  webhooks: WebhooksTable;
}
