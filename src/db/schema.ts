/** Table types of the metadata database. Times are milliseconds since the epoch. */

import type {
  CatalogEntriesTable,
  CatalogEntryTagsTable,
  CatalogHealthChecksTable,
} from '../catalog/tables.js';
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
} from '../access/tables.js';
import type { CredentialsTable } from '../credentials/tables.js';
import type { BlobLocationsTable, RegistriesTable } from '../registries/tables.js';

export interface RepositoriesTable {
  name: string;
  created_at: number;
}

export interface BlobsTable {
  digest: string;
  size: number;
  created_at: number;
}

/** A blob is visible in a repository only through a link row. */
export interface RepositoryBlobsTable {
  repository: string;
  digest: string;
  created_at: number;
}

export interface ManifestsTable {
  repository: string;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject: string | null;
  /** JSON text of the manifest's annotations, for the referrers API. */
  annotations: string | null;
  size: number;
  payload: Buffer;
  created_at: number;
}

/** What a manifest points to: its config and layers (kind 'blob') or its children (kind 'manifest'). */
export interface ManifestReferencesTable {
  repository: string;
  manifest_digest: string;
  child_digest: string;
  kind: 'blob' | 'manifest';
}

export interface TagsTable {
  repository: string;
  name: string;
  digest: string;
  updated_at: number;
}

export interface UploadsTable {
  id: string;
  repository: string;
  created_at: number;
  /** `user:<name>` or `address:<ip>`; null for the server's own uploads (imports). */
  opened_by: string | null;
}

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
