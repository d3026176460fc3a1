/**
 * Permission verbs. The first six are the Azure ML registry permissions (without the
 * `Microsoft.MachineLearningServices/` prefix); the rest are Arca's own.
 */
export const permissions = [
  'registries/read',
  'registries/write',
  'registries/delete',
  'registries/assets/read',
  'registries/assets/write',
  'registries/assets/delete',
  'credentials/read',
  'credentials/write',
  'catalog/read',
  'catalog/write',
  'access/manage',
] as const;

export type Permission = (typeof permissions)[number];

/** What each verb allows, for `GET /api/v1/roles` and the CLI. */
export const permissionDescriptions: Record<Permission, string> = {
  'registries/read': 'list registries and read their metadata',
  'registries/write': 'create or update registries',
  'registries/delete': 'delete registries',
  'registries/assets/read': 'pull images and browse and use assets',
  'registries/assets/write': 'push images and create assets',
  'registries/assets/delete': 'delete images, tags and assets',
  'credentials/read': 'read stored credentials (never their secrets)',
  'credentials/write': 'create, replace and delete stored credentials',
  'catalog/read': 'read the container-registry catalog',
  'catalog/write': 'onboard, update and remove catalog entries',
  'access/manage': 'manage users, groups, service accounts, API keys, roles, assignments; read the audit log',
};

/**
 * Verbs that concern the whole installation rather than one registry: they count only when granted
 * at scope `/` (a Reader of one registry does not read the whole catalog).
 */
export const globalPermissions: ReadonlySet<Permission> = new Set<Permission>([
  'credentials/read',
  'credentials/write',
  'catalog/read',
  'catalog/write',
  'access/manage',
]);

const known: ReadonlySet<string> = new Set(permissions);

export function isPermission(value: string): value is Permission {
  return known.has(value);
}

/** Azure's full names of the registry verbs, accepted in custom roles for the short ones. */
const azurePrefix = 'microsoft.machinelearningservices/';

/**
 * The verb a custom role's permission names: itself, or the short form of Azure's full name
 * (`Microsoft.MachineLearningServices/registries/assets/read` → `registries/assets/read`, case as
 * Azure's documentation writes it or any other). Only the six Azure registry verbs have aliases.
 */
export function canonicalPermission(value: string): string {
  if (!value.toLowerCase().startsWith(azurePrefix)) return value;
  const short = value.slice(azurePrefix.length);
  return isPermission(short) && short.startsWith('registries/') ? short : value;
}
