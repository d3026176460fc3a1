/** The access room's tables. Times are milliseconds since the epoch; flags are 0 or 1. */

/** Arca's own user accounts (htpasswd users live in their file). */
export interface AccessUsersTable {
  name: string;
  /** bcrypt. */
  password_hash: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

export interface AccessGroupsTable {
  name: string;
  description: string;
  created_at: number;
}

/** A user or service account in a group. */
export interface AccessGroupMembersTable {
  group_name: string;
  /** 'user' | 'service-account' */
  member_kind: string;
  member_name: string;
}

export interface AccessServiceAccountsTable {
  name: string;
  description: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

/** API keys of service accounts: the secret is shown once; only its SHA-256 is kept. */
export interface AccessApiKeysTable {
  id: string;
  owner_kind: string;
  owner_name: string;
  /** A label chosen by whoever created the key. */
  name: string;
  secret_hash: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** Custom roles (the built-in ones are code). */
export interface AccessRolesTable {
  name: string;
  description: string;
  /** JSON array of permission verbs. */
  permissions: string;
  created_at: number;
  updated_at: number;
}

export interface AccessRoleAssignmentsTable {
  id: string;
  role: string;
  /** 'user' | 'group' | 'service-account' */
  principal_kind: string;
  principal_name: string;
  /** '/', '/namespaces/<ns>' or '/registries/<name>'. */
  scope: string;
  created_at: number;
  created_by: string | null;
}

/** OAuth2 refresh tokens (docker's identity tokens, `arca login`): only the secret's SHA-256 is kept. */
export interface AccessRefreshTokensTable {
  id: string;
  subject_kind: string;
  subject_name: string;
  secret_hash: string;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** Who did what, where, when, and how it ended: every write and every refused request. */
export interface AccessAuditTable {
  /** Sortable: time, then a sequence; pages are cut on it. */
  id: string;
  at: number;
  actor: string | null;
  actor_kind: string | null;
  action: string;
  resource: string | null;
  method: string | null;
  path: string | null;
  /** 'success' | 'failure' | 'denied' | 'unauthorized' | 'throttled' */
  outcome: string;
  status: number | null;
  remote: string | null;
  request_id: string | null;
  detail: string | null;
}

/** Small facts the room keeps, e.g. that the first administrator was created. */
export interface AccessSettingsTable {
  key: string;
  value: string;
}

/** This room's tables, by name: its part of the metadata database. */
export interface AccessTables {
  access_users: AccessUsersTable;
  access_groups: AccessGroupsTable;
  access_group_members: AccessGroupMembersTable;
  access_service_accounts: AccessServiceAccountsTable;
  access_api_keys: AccessApiKeysTable;
  access_roles: AccessRolesTable;
  access_role_assignments: AccessRoleAssignmentsTable;
  access_refresh_tokens: AccessRefreshTokensTable;
  access_audit: AccessAuditTable;
  access_settings: AccessSettingsTable;
}
