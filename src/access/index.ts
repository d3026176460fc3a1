export { Htpasswd } from './htpasswd.js';
export { AccessControl, type AccessTarget, type IssuedToken } from './access-control.js';
export type { AccessSettings, AuthSettings } from './access-settings.js';
export type { RepositoryVerdict } from './repository-access.js';
export type { CatalogVerdict } from './catalog-access.js';
export { permissions, permissionDescriptions, isPermission, type Permission } from './permissions.js';
export { builtinRoles, type RoleDefinition } from './roles.js';
export { Grants, type Grant, type RepositoryAction } from './grants.js';
export {
  locateRepository,
  DEFAULT_REGISTRY,
  DEFAULT_NAMESPACE,
  type RegistryLookup,
} from './registry-lookup.js';
export { parseScope, formatScope, type Scope, type RegistryLocation } from './scope.js';
export { memberKinds, assigneeKinds, type Caller, type MemberKind, type AssigneeKind } from './principal.js';
export { parseScopes, type AccessEntry, type RequestedScope } from './token-scope.js';
export { TokenRejected, type VerifiedToken } from './tokens.js';
export { secretId, randomPassword } from './secrets.js';
export type { AuditEvent } from './audit.js';
export type { SigningAlgorithm } from './signing-keys.js';
export type { ThrottleLimits } from './throttle.js';
export { LoginThrottle } from './throttle.js';
export { resetPassword } from './reset-password.js';
export { FIRST_ADMIN } from './bootstrap.js';
export type { AccessTables } from './tables.js';
