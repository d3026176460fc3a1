import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { AppError } from '../errors/index.js';
import type { MasterKeys } from './master-keys.js';
import {
  checkPayload,
  maskedPayload,
  PayloadInvalid,
  type CredentialPayload,
  type CredentialType,
} from './payload.js';
import * as store from './store.js';

/** Credential names: letters, digits, `.`, `_`, `-`, starting with a letter or digit; up to 64. */
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** How the API shows a credential: never the secret, only its masked payload. */
export interface CredentialView {
  name: string;
  namespace: string;
  type: CredentialType;
  payload: CredentialPayload;
  created_at: string;
  updated_at: string;
  created_by: string | null;
}

/** A credential opened for use inside the server (a health probe, a test, a storage backend). */
export interface OpenedCredential {
  name: string;
  namespace: string;
  type: CredentialType;
  payload: CredentialPayload;
}

function aad(row: { namespace: string; name_key: string; type: string }): string {
  return `arca-credential\0${row.namespace}\0${row.name_key}\0${row.type}`;
}

/** A credential's identity: names are unique per namespace regardless of case. */
export function credentialKey(namespace: string, name: string): string {
  return `${namespace}\0${name.toLowerCase()}`;
}

export function checkCredentialName(name: string): string {
  if (!namePattern.test(name)) {
    throw new AppError(
      'CREDENTIAL_INVALID',
      `credential name ${JSON.stringify(name.slice(0, 80))}: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

/**
 * Something in another room that uses credentials by name (a registry's backend, a catalog entry's
 * health checks). A credential in use is not deleted unless forced, so nothing is left pointing at
 * a credential that is gone without saying so.
 */
export interface CredentialUser {
  /** Who uses the credential, each named for the caller (`registry 'team'`). */
  usersOf(namespace: string, name: string): Promise<string[]>;
  /**
   * After the credential was replaced or (forced) deleted: take the change at once (a registry
   * probes again, and shows `Error` when its credential is gone or no longer works).
   */
  changed?(namespace: string, name: string): Promise<void>;
}

/**
 * Credentials for other registries and buckets, sealed at rest with the master keys. Everything
 * that leaves this class through the API is masked; `open` is for the server's own use.
 */
export class CredentialService {
  private readonly users: CredentialUser[] = [];
  private readonly resealers: ((currentKeyId: string) => Promise<number>)[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly keys: MasterKeys,
  ) {}

  /**
   * Seal another room's secret (a webhook's) under the current master key; `aad` binds it to its row.
   * That room registers a `SecretResealer` so a key change re-seals its secrets too.
   */
  sealSecret(plaintext: string, aad: string): { keyId: string; sealed: string } {
    return this.keys.seal(plaintext, aad);
  }

  /** The id of the master key new secrets are sealed with. */
  get currentKeyId(): string {
    return this.keys.currentId;
  }

  openSecret(keyId: string, sealed: string, aad: string): string {
    return this.keys.open(keyId, sealed, aad);
  }

  /** Re-seal a room's secrets sealed with an older key (at start and on rotation); returns how many. */
  addResealer(reseal: (currentKeyId: string) => Promise<number>): void {
    this.resealers.push(reseal);
  }

  /** Register a user of credentials (rooms built after this service register themselves). */
  addUser(user: CredentialUser): void {
    this.users.push(user);
  }

  private view(row: store.CredentialRow): CredentialView {
    const opened = this.openRow(row);
    return {
      name: row.name,
      namespace: row.namespace,
      type: opened.type,
      payload: maskedPayload(opened.type, opened.payload),
      created_at: new Date(Number(row.created_at)).toISOString(),
      updated_at: new Date(Number(row.updated_at)).toISOString(),
      created_by: row.created_by,
    };
  }

  private openRow(row: store.CredentialRow): OpenedCredential {
    const payload = JSON.parse(this.keys.open(row.key_id, row.sealed, aad(row))) as CredentialPayload;
    return { name: row.name, namespace: row.namespace, type: row.type as CredentialType, payload };
  }

  async set(
    namespace: string,
    name: string,
    type: CredentialType,
    payload: unknown,
    by: string | null,
  ): Promise<{ credential: CredentialView; created: boolean }> {
    checkCredentialName(name);
    let checked: CredentialPayload;
    try {
      checked = checkPayload(type, payload);
    } catch (err) {
      if (err instanceof PayloadInvalid) throw new AppError('CREDENTIAL_INVALID', err.message);
      throw err;
    }
    const now = Date.now();
    const key = { namespace, name_key: name.toLowerCase(), type };
    const { keyId, sealed } = this.keys.seal(JSON.stringify(checked), aad(key));
    const existed = (await store.getCredential(this.db, namespace, name)) !== undefined;
    await store.upsertCredential(this.db, {
      ...key,
      name,
      key_id: keyId,
      sealed,
      created_at: now,
      updated_at: now,
      created_by: by,
    });
    if (existed) await this.tellUsers(namespace, name);
    return { credential: await this.get(namespace, name), created: !existed };
  }

  private async tellUsers(namespace: string, name: string): Promise<void> {
    for (const user of this.users) await user.changed?.(namespace, name);
  }

  async get(namespace: string, name: string): Promise<CredentialView> {
    const row = await store.getCredential(this.db, namespace, name);
    if (!row)
      throw new AppError(
        'CREDENTIAL_UNKNOWN',
        `no credential ${JSON.stringify(name)} in namespace ${namespace}`,
      );
    return this.view(row);
  }

  async list(namespace?: string): Promise<CredentialView[]> {
    return (await store.listCredentials(this.db, namespace)).map((row) => this.view(row));
  }

  /**
   * Delete a credential. One that something uses is refused (409 `CREDENTIAL_IN_USE`, naming the
   * users) unless `force`; then its users are told, so they show the loss at once.
   */
  async delete(namespace: string, name: string, force = false): Promise<void> {
    const unknown = () =>
      new AppError('CREDENTIAL_UNKNOWN', `no credential ${JSON.stringify(name)} in namespace ${namespace}`);
    if (!(await store.getCredential(this.db, namespace, name))) throw unknown();
    const users = (await Promise.all(this.users.map((u) => u.usersOf(namespace, name)))).flat();
    if (users.length > 0 && !force) {
      throw new AppError(
        'CREDENTIAL_IN_USE',
        `credential ${JSON.stringify(name)} in namespace ${namespace} is used by ${users.join(', ')}: change them first, or delete it with force`,
        { users },
      );
    }
    if (!(await store.deleteCredential(this.db, namespace, name))) throw unknown();
    await this.tellUsers(namespace, name);
  }

  /**
   * A version of every credential (changes when it is replaced or re-sealed), keyed by
   * `credentialKey`: what a driver built from a credential is cached against.
   */
  async versions(): Promise<Map<string, string>> {
    const rows = await store.credentialVersions(this.db);
    return new Map(
      rows.map((r) => [credentialKey(r.namespace, r.name_key), `${r.key_id}:${String(r.updated_at)}`]),
    );
  }

  /** The credential with its secrets, for the server's own use; undefined when absent. */
  async open(namespace: string, name: string): Promise<OpenedCredential | undefined> {
    const row = await store.getCredential(this.db, namespace, name);
    return row ? this.openRow(row) : undefined;
  }

  /** Every REGISTRY credential, opened (to find the one of a registry host). */
  async registryCredentials(): Promise<OpenedCredential[]> {
    const rows = await store.listCredentials(this.db);
    return rows.filter((r) => r.type === 'REGISTRY').map((r) => this.openRow(r));
  }

  /** Re-seal every credential sealed with an older key; returns how many were re-sealed. */
  async resealAll(): Promise<number> {
    let count = 0;
    for (const row of await store.sealedWithOtherKeys(this.db, this.keys.currentId)) {
      const plaintext = this.keys.open(row.key_id, row.sealed, aad(row));
      const { keyId, sealed } = this.keys.seal(plaintext, aad(row));
      await store.reseal(this.db, row, keyId, sealed);
      count++;
    }
    for (const reseal of this.resealers) count += await reseal(this.keys.currentId);
    return count;
  }

  /** A new master key (key file only), every credential re-sealed with it, the old keys forgotten. */
  async rotate(): Promise<{ key_id: string; resealed: number }> {
    const id = this.keys.rotate();
    const resealed = await this.resealAll();
    this.keys.retire();
    return { key_id: id, resealed };
  }
}
