import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { AppError } from '../errors/index.js';
import { hashPassword, passwordProblem } from './passwords.js';
import { principalNamePattern, type MemberKind } from './principal.js';
import { hashSecret, newSecret } from './secrets.js';
import * as apiKeys from './store/api-keys.js';
import * as assignments from './store/assignments.js';
import * as groups from './store/groups.js';
import * as refreshTokens from './store/refresh-tokens.js';
import * as serviceAccounts from './store/service-accounts.js';
import * as users from './store/users.js';
import {
  apiKeyView,
  groupView,
  serviceAccountView,
  userView,
  type ApiKeyView,
  type GroupView,
  type ServiceAccountView,
  type UserView,
} from './views.js';

function checkName(what: string, name: string): void {
  if (!principalNamePattern.test(name)) {
    throw new AppError(
      'REQUEST_INVALID',
      `${what} name '${name.slice(0, 80)}': 1-64 letters, digits, '.', '_', '@' and '-', starting with a letter or digit`,
    );
  }
}

function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new AppError('REQUEST_INVALID', `password: ${problem}`);
}

function notFound(what: string, name: string): AppError {
  return new AppError('NOT_FOUND', `no ${what} named '${name}'`);
}

/**
 * Users, groups, service accounts and API keys. Every write calls `changed()` so cached grants and
 * key checks of this process are dropped at once.
 */
export class IdentityDirectory {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly changed: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  // Users

  async listUsers(): Promise<UserView[]> {
    const rows = await users.listUsers(this.db);
    return Promise.all(rows.map(async (r) => userView(r, await groups.groupsOf(this.db, 'user', r.name))));
  }

  async getUser(name: string): Promise<UserView> {
    const row = await users.getUser(this.db, name);
    if (!row) throw notFound('user', name);
    return userView(row, await groups.groupsOf(this.db, 'user', name));
  }

  async createUser(name: string, password: string): Promise<UserView> {
    checkName('user', name);
    checkPassword(password);
    if (await serviceAccounts.getServiceAccount(this.db, name)) {
      throw new AppError('CONFLICT', `'${name}' is the name of a service account`);
    }
    if (!(await users.insertUser(this.db, name, await hashPassword(password), this.now()))) {
      throw new AppError('CONFLICT', `user '${name}' already exists`);
    }
    this.changed();
    return this.getUser(name);
  }

  /** Change the password (which ends the user's refresh tokens) or enable/disable the account. */
  async updateUser(name: string, changes: { password?: string; disabled?: boolean }): Promise<UserView> {
    if (changes.password !== undefined) checkPassword(changes.password);
    const now = this.now();
    const set: { password_hash?: string; disabled?: number } = {};
    if (changes.password !== undefined) set.password_hash = await hashPassword(changes.password);
    if (changes.disabled !== undefined) set.disabled = changes.disabled ? 1 : 0;
    await this.db.transaction().execute(async (tx) => {
      if (!(await users.updateUser(tx, name, set, now))) throw notFound('user', name);
      if (changes.password !== undefined || changes.disabled === true) {
        await refreshTokens.revokeRefreshTokensOf(tx, 'user', name, now);
      }
    });
    this.changed();
    return this.getUser(name);
  }

  async deleteUser(name: string): Promise<void> {
    const now = this.now();
    await this.db.transaction().execute(async (tx) => {
      if (!(await users.deleteUser(tx, name))) throw notFound('user', name);
      await groups.removeFromAllGroups(tx, 'user', name);
      await assignments.deleteAssignmentsOf(tx, 'user', name);
      await refreshTokens.revokeRefreshTokensOf(tx, 'user', name, now);
    });
    this.changed();
  }

  // Groups

  async listGroups(): Promise<GroupView[]> {
    const rows = await groups.listGroups(this.db);
    return Promise.all(rows.map(async (r) => groupView(r, await groups.listMembers(this.db, r.name))));
  }

  async getGroup(name: string): Promise<GroupView> {
    const row = await groups.getGroup(this.db, name);
    if (!row) throw notFound('group', name);
    return groupView(row, await groups.listMembers(this.db, name));
  }

  async createGroup(
    name: string,
    description: string,
    members: { kind: MemberKind; name: string }[] = [],
  ): Promise<GroupView> {
    checkName('group', name);
    for (const m of members) await this.requireMember(m.kind, m.name);
    await this.db.transaction().execute(async (tx) => {
      if (!(await groups.insertGroup(tx, name, description, this.now()))) {
        throw new AppError('CONFLICT', `group '${name}' already exists`);
      }
      for (const m of members) await groups.addMember(tx, name, m.kind, m.name);
    });
    this.changed();
    return this.getGroup(name);
  }

  async updateGroup(name: string, description: string): Promise<GroupView> {
    if (!(await groups.updateGroup(this.db, name, description))) throw notFound('group', name);
    return this.getGroup(name);
  }

  async deleteGroup(name: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      if (!(await groups.deleteGroup(tx, name))) throw notFound('group', name);
      await assignments.deleteAssignmentsOf(tx, 'group', name);
    });
    this.changed();
  }

  async addMember(group: string, kind: MemberKind, name: string): Promise<GroupView> {
    if (!(await groups.getGroup(this.db, group))) throw notFound('group', group);
    await this.requireMember(kind, name);
    await groups.addMember(this.db, group, kind, name);
    this.changed();
    return this.getGroup(group);
  }

  async removeMember(group: string, kind: MemberKind, name: string): Promise<GroupView> {
    if (!(await groups.getGroup(this.db, group))) throw notFound('group', group);
    if (!(await groups.removeMember(this.db, group, kind, name))) {
      throw new AppError('NOT_FOUND', `${kind} '${name}' is not a member of group '${group}'`);
    }
    this.changed();
    return this.getGroup(group);
  }

  private async requireMember(kind: MemberKind, name: string): Promise<void> {
    const exists =
      kind === 'user'
        ? await users.getUser(this.db, name)
        : await serviceAccounts.getServiceAccount(this.db, name);
    if (!exists) throw new AppError('REQUEST_INVALID', `no ${kind} named '${name}'`);
  }

  // Service accounts

  async listServiceAccounts(): Promise<ServiceAccountView[]> {
    const rows = await serviceAccounts.listServiceAccounts(this.db);
    return Promise.all(
      rows.map(async (r) => serviceAccountView(r, await groups.groupsOf(this.db, 'service-account', r.name))),
    );
  }

  async getServiceAccount(name: string): Promise<ServiceAccountView> {
    const row = await serviceAccounts.getServiceAccount(this.db, name);
    if (!row) throw notFound('service account', name);
    return serviceAccountView(row, await groups.groupsOf(this.db, 'service-account', name));
  }

  async createServiceAccount(name: string, description: string): Promise<ServiceAccountView> {
    checkName('service account', name);
    if (await users.getUser(this.db, name)) {
      throw new AppError('CONFLICT', `'${name}' is the name of a user`);
    }
    if (!(await serviceAccounts.insertServiceAccount(this.db, name, description, this.now()))) {
      throw new AppError('CONFLICT', `service account '${name}' already exists`);
    }
    this.changed();
    return this.getServiceAccount(name);
  }

  async updateServiceAccount(
    name: string,
    changes: { description?: string; disabled?: boolean },
  ): Promise<ServiceAccountView> {
    const set: { description?: string; disabled?: number } = {};
    if (changes.description !== undefined) set.description = changes.description;
    if (changes.disabled !== undefined) set.disabled = changes.disabled ? 1 : 0;
    if (!(await serviceAccounts.updateServiceAccount(this.db, name, set, this.now()))) {
      throw notFound('service account', name);
    }
    this.changed();
    return this.getServiceAccount(name);
  }

  async deleteServiceAccount(name: string): Promise<void> {
    const now = this.now();
    await this.db.transaction().execute(async (tx) => {
      if (!(await serviceAccounts.deleteServiceAccount(tx, name))) throw notFound('service account', name);
      await apiKeys.revokeApiKeysOf(tx, 'service-account', name, now);
      await groups.removeFromAllGroups(tx, 'service-account', name);
      await assignments.deleteAssignmentsOf(tx, 'service-account', name);
      await refreshTokens.revokeRefreshTokensOf(tx, 'service-account', name, now);
    });
    this.changed();
  }

  // API keys

  async listApiKeys(serviceAccount: string): Promise<ApiKeyView[]> {
    if (!(await serviceAccounts.getServiceAccount(this.db, serviceAccount))) {
      throw notFound('service account', serviceAccount);
    }
    const now = this.now();
    return (await apiKeys.listApiKeys(this.db, 'service-account', serviceAccount)).map((r) =>
      apiKeyView(r, now),
    );
  }

  /** A new key; the secret is in the answer and nowhere else, ever. */
  async createApiKey(
    serviceAccount: string,
    options: { name?: string; expiresAt?: number | null },
  ): Promise<ApiKeyView & { key: string }> {
    if (!(await serviceAccounts.getServiceAccount(this.db, serviceAccount))) {
      throw notFound('service account', serviceAccount);
    }
    const now = this.now();
    if (options.expiresAt !== undefined && options.expiresAt !== null && options.expiresAt <= now) {
      throw new AppError('REQUEST_INVALID', 'expires_at: must be in the future');
    }
    const { id, secret } = newSecret('api-key');
    const row: apiKeys.ApiKeyRow = {
      id,
      owner_kind: 'service-account',
      owner_name: serviceAccount,
      name: options.name ?? '',
      secret_hash: hashSecret(secret),
      created_at: now,
      expires_at: options.expiresAt ?? null,
      last_used_at: null,
      revoked_at: null,
    };
    await apiKeys.insertApiKey(this.db, row);
    return { ...apiKeyView(row, now), key: secret };
  }

  async revokeApiKey(serviceAccount: string, id: string): Promise<ApiKeyView> {
    const now = this.now();
    if (!(await apiKeys.revokeApiKey(this.db, 'service-account', serviceAccount, id, now))) {
      const row = await apiKeys.getApiKey(this.db, id);
      if (row && row.owner_name === serviceAccount && row.revoked_at !== null) return apiKeyView(row, now);
      throw new AppError('NOT_FOUND', `service account '${serviceAccount}' has no API key '${id}'`);
    }
    this.changed();
    return apiKeyView((await apiKeys.getApiKey(this.db, id))!, now);
  }
}
