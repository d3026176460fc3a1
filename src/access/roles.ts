import { permissions, type Permission } from './permissions.js';

export interface RoleDefinition {
  name: string;
  description: string;
  permissions: Permission[];
  builtin: boolean;
}

/**
 * The built-in roles. Reader, Contributor and Owner mean what they mean for Azure ML registries;
 * AssetPublisher is the custom role that document recommends for "use and publish assets, but do not
 * manage registries", shipped ready-made.
 */
export const builtinRoles: readonly RoleDefinition[] = Object.freeze([
  {
    name: 'Reader',
    description: 'use assets: list registries, pull images and read assets and the catalog',
    permissions: ['registries/read', 'registries/assets/read', 'catalog/read'],
    builtin: true,
  },
  {
    name: 'AssetPublisher',
    description: 'use and publish assets in registries, without managing the registries',
    permissions: [
      'registries/read',
      'registries/assets/read',
      'registries/assets/write',
      'registries/assets/delete',
    ],
    builtin: true,
  },
  {
    name: 'Contributor',
    description: 'everything on registries and assets, and catalog writes; not access management',
    permissions: permissions.filter((p) => p !== 'access/manage'),
    builtin: true,
  },
  {
    name: 'Owner',
    description: 'everything, including managing users, roles and role assignments',
    permissions: [...permissions],
    builtin: true,
  },
]);

const byName = new Map(builtinRoles.map((r) => [r.name.toLowerCase(), r]));

/** A built-in role by name (case-insensitive), or undefined. */
export function builtinRole(name: string): RoleDefinition | undefined {
  return byName.get(name.toLowerCase());
}
