import type { ApiKeyRow } from './store/api-keys.js';
import type { AssignmentRow } from './store/assignments.js';
import type { AuditRow } from './store/audit.js';
import type { GroupMemberRow, GroupRow } from './store/groups.js';
import type { ServiceAccountRow } from './store/service-accounts.js';
import type { UserRow } from './store/users.js';

/** How the API shows access resources: times as ISO 8601, never a secret or a hash. */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface UserView {
  name: string;
  disabled: boolean;
  groups: string[];
  created_at: string | null;
  updated_at: string | null;
}

export function userView(row: UserRow, groups: string[]): UserView {
  return {
    name: row.name,
    disabled: row.disabled === 1,
    groups,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export interface GroupView {
  name: string;
  description: string;
  members: { kind: string; name: string }[];
  created_at: string | null;
}

export function groupView(row: GroupRow, members: GroupMemberRow[]): GroupView {
  return {
    name: row.name,
    description: row.description,
    members: members.map((m) => ({ kind: m.member_kind, name: m.member_name })),
    created_at: iso(row.created_at),
  };
}

export interface ServiceAccountView {
  name: string;
  description: string;
  disabled: boolean;
  groups: string[];
  created_at: string | null;
  updated_at: string | null;
}

export function serviceAccountView(row: ServiceAccountRow, groups: string[]): ServiceAccountView {
  return {
    name: row.name,
    description: row.description,
    disabled: row.disabled === 1,
    groups,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

export interface ApiKeyView {
  id: string;
  name: string;
  service_account: string;
  status: ApiKeyStatus;
  created_at: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export function apiKeyStatus(row: ApiKeyRow, now: number): ApiKeyStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && row.expires_at <= now) return 'expired';
  return 'active';
}

export function apiKeyView(row: ApiKeyRow, now: number): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    service_account: row.owner_name,
    status: apiKeyStatus(row, now),
    created_at: iso(row.created_at),
    expires_at: iso(row.expires_at),
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
  };
}

export interface AssignmentView {
  id: string;
  role: string;
  principal: { kind: string; name: string };
  scope: string;
  created_at: string | null;
  created_by: string | null;
}

export function assignmentView(row: AssignmentRow): AssignmentView {
  return {
    id: row.id,
    role: row.role,
    principal: { kind: row.principal_kind, name: row.principal_name },
    scope: row.scope,
    created_at: iso(row.created_at),
    created_by: row.created_by,
  };
}

export interface AuditView {
  id: string;
  at: string | null;
  actor: string | null;
  actor_kind: string | null;
  action: string;
  resource: string | null;
  method: string | null;
  path: string | null;
  outcome: string;
  status: number | null;
  remote: string | null;
  request_id: string | null;
  detail: unknown;
}

export function auditView(row: AuditRow): AuditView {
  let detail: unknown = null;
  if (row.detail !== null) {
    try {
      detail = JSON.parse(row.detail);
    } catch {
      detail = row.detail;
    }
  }
  return {
    id: row.id,
    at: iso(row.at),
    actor: row.actor,
    actor_kind: row.actor_kind,
    action: row.action,
    resource: row.resource,
    method: row.method,
    path: row.path,
    outcome: row.outcome,
    status: row.status,
    remote: row.remote,
    request_id: row.request_id,
    detail,
  };
}
