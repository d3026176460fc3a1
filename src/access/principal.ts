/** Who can hold grants: users (Arca's, htpasswd's, an external token server's), groups, service accounts. */
export type PrincipalKind = 'user' | 'group' | 'service-account' | 'anonymous';

/** Where a user's password lives. */
export type UserSource = 'arca' | 'htpasswd' | 'external';

/** The authenticated caller of one request. */
export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'user'; name: string; source: UserSource }
  | { kind: 'service-account'; name: string; apiKeyId?: string };

/** Kinds that can be members of a group or hold an assignment directly. */
export const memberKinds = ['user', 'service-account'] as const;
export type MemberKind = (typeof memberKinds)[number];

export const assigneeKinds = ['user', 'group', 'service-account'] as const;
export type AssigneeKind = (typeof assigneeKinds)[number];

/** Names of users, groups and service accounts: what docker accepts as a username, and e-mail addresses. */
export const principalNamePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
