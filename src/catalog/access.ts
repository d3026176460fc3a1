/** What a catalog request needs: reading (get, query, health) or writing (create, update, delete). */
export type CatalogPermission = 'catalog/read' | 'catalog/write';
