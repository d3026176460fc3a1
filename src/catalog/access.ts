/** What a catalog request needs: reading (get, query, health) or writing (create, update, delete). */
export type CatalogPermission = 'catalog/read' | 'catalog/write';

/** Who is asking, as the HTTP layer authenticated them (no user when authentication is off). */
export interface CatalogCaller {
  user?: string;
}

/**
 * The seam to access control (RBAC lands later): may this caller use the catalog this way?
 * The HTTP layer authenticates (htpasswd today) and then asks this; `allowAll` is the default.
 */
export type CatalogAccess = (
  caller: CatalogCaller,
  permission: CatalogPermission,
) => boolean | Promise<boolean>;

export const allowAll: CatalogAccess = () => true;
