/** Paths that are a string column of catalog_entries, present in every entry. */
export const scalarColumns: Record<string, string> = {
  container_registry_id: 'id',
  container_registry_name: 'name',
  container_registry_public_url: 'public_url',
  container_registry_image_prefix: 'image_prefix',
  'container_registry_storage_info.registry_type': 'registry_type',
  'container_registry_storage_info.storage_type': 'storage_type',
};
