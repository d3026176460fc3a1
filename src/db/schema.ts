/** Table types of the metadata database. Times are milliseconds since the epoch. */

import type {
  CatalogEntriesTable,
  CatalogEntryTagsTable,
  CatalogHealthChecksTable,
} from '../catalog/index.js';
import type {
  AccessApiKeysTable,
  AccessAuditTable,
  AccessGroupMembersTable,
  AccessGroupsTable,
  AccessRefreshTokensTable,
  AccessRoleAssignmentsTable,
  AccessRolesTable,
  AccessServiceAccountsTable,
  AccessSettingsTable,
  AccessUsersTable,
} from '../access/index.js';
import type { CredentialsTable } from '../credentials/index.js';
import type { BlobLocationsTable, RegistriesTable } from '../registries/index.js';
import type {
  BlobsTable,
  ManifestReferencesTable,
  ManifestsTable,
  RepositoriesTable,
  RepositoryBlobsTable,
  TagsTable,
  UploadsTable,
} from '../oci/index.js';

export interface Database {
  repositories: RepositoriesTable;
  blobs: BlobsTable;
  repository_blobs: RepositoryBlobsTable;
  manifests: ManifestsTable;
  manifest_references: ManifestReferencesTable;
  tags: TagsTable;
  uploads: UploadsTable;
  catalog_entries: CatalogEntriesTable;
  catalog_entry_tags: CatalogEntryTagsTable;
  catalog_health_checks: CatalogHealthChecksTable;
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
  credentials: CredentialsTable;
  registries: RegistriesTable;
  blob_locations: BlobLocationsTable;
}
