import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import type { Caller } from './principal.js';
import { hashSecret, secretMatches } from './secrets.js';
import * as apiKeys from './store/api-keys.js';
import * as serviceAccounts from './store/service-accounts.js';
import * as users from './store/users.js';

/** How long a checked API key or account is trusted in this process; a change here applies at once. */
const cacheTtlMs = 2_000;
/** `last_used_at` is written at most this often per key. */
const touchIntervalMs = 60_000;

/**
 * Whether accounts and API keys are live now (enabled, not revoked, not expired), each answer
 * cached for `cacheTtlMs`: a pull sends dozens of requests, each checking its credentials. Writes in
 * this process call `invalidate()`; other replicas see a change within the cache's lifetime.
 */
export class LiveAccounts {
  private readonly keyCache = new Map<string, { caller: Caller | null; until: number }>();
  /** Since when an account (by kind and name) is as it is now, or null when disabled or gone. */
  private readonly accountCache = new Map<string, { since: number | null; until: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
  ) {}

  /** Forget cached checks (a key was revoked, an account disabled or deleted). */
  invalidate(): void {
    this.keyCache.clear();
    this.accountCache.clear();
  }

  /**
   * Since when the account is as it is now (a user: its last change; a service account: its
   * creation, as its description may change freely), or null when it is disabled or gone.
   */
  async since(kind: 'user' | 'service-account', name: string): Promise<number | null> {
    const now = this.now();
    const key = `${kind}\0${name}`;
    const hit = this.accountCache.get(key);
    if (hit && hit.until > now) return hit.since;
    let since: number | null = null;
    if (kind === 'user') {
      const row = await users.getUser(this.db, name);
      if (row && row.disabled === 0) since = row.updated_at;
    } else {
      const row = await serviceAccounts.getServiceAccount(this.db, name);
      if (row && row.disabled === 0) since = row.created_at;
    }
    if (this.accountCache.size > 10_000) this.accountCache.clear();
    this.accountCache.set(key, { since, until: now + cacheTtlMs });
    return since;
  }

  /**
   * The service account of API key `id` when the key is live and its account enabled (and, with
   * `secret`, the secret matches the key; its use is then recorded), or null.
   */
  async keyCaller(id: string, secret: string | undefined): Promise<Caller | null> {
    const now = this.now();
    const cacheKey = secret === undefined ? `id:${id}` : `secret:${hashSecret(secret)}`;
    const hit = this.keyCache.get(cacheKey);
    if (hit && hit.until > now) return hit.caller;
    const row = await apiKeys.getApiKey(this.db, id);
    let caller: Caller | null = null;
    if (
      row &&
      row.revoked_at === null &&
      (row.expires_at === null || row.expires_at > now) &&
      (secret === undefined || secretMatches(secret, row.secret_hash))
    ) {
      const account = await serviceAccounts.getServiceAccount(this.db, row.owner_name);
      if (account && account.disabled === 0)
        caller = { kind: 'service-account', name: account.name, apiKeyId: id };
    }
    if (this.keyCache.size > 10_000) this.keyCache.clear();
    this.keyCache.set(cacheKey, { caller, until: now + cacheTtlMs });
    if (caller && secret !== undefined) this.touch(id, now);
    return caller;
  }

  private touch(id: string, now: number): void {
    if ((this.touched.get(id) ?? 0) > now - touchIntervalMs) return;
    if (this.touched.size > 10_000) this.touched.clear();
    this.touched.set(id, now);
    apiKeys.touchApiKey(this.db, id, now).catch(() => {
      // Only bookkeeping: a failed write must not fail the request.
    });
  }
}
