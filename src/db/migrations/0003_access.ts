import { type Kysely } from 'kysely';
import type { MigrationDefinition } from './types.js';

/**
 * The access room's tables: users, groups and their members, service accounts and their API keys,
 * custom roles, role assignments, refresh tokens, the audit log and a few settings. Principals are
 * referred to by kind and name (names are never changed), so htpasswd users and the subjects of an
 * external token server can be assigned roles too.
 */
export const access: MigrationDefinition = (t) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('access_users')
      .ifNotExists()
      .addColumn('name', t.binaryText, (c) => c.primaryKey())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_groups')
      .ifNotExists()
      .addColumn('name', t.binaryText, (c) => c.primaryKey())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_group_members')
      .ifNotExists()
      .addColumn('group_name', t.binaryText, (c) => c.notNull())
      .addColumn('member_kind', 'text', (c) => c.notNull())
      .addColumn('member_name', t.binaryText, (c) => c.notNull())
      .addPrimaryKeyConstraint('access_group_members_pk', ['group_name', 'member_kind', 'member_name'])
      .execute();
    await db.schema
      .createIndex('access_group_members_member')
      .ifNotExists()
      .on('access_group_members')
      .columns(['member_kind', 'member_name'])
      .execute();
    await db.schema
      .createTable('access_service_accounts')
      .ifNotExists()
      .addColumn('name', t.binaryText, (c) => c.primaryKey())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_api_keys')
      .ifNotExists()
      .addColumn('id', t.binaryText, (c) => c.primaryKey())
      .addColumn('owner_kind', 'text', (c) => c.notNull())
      .addColumn('owner_name', t.binaryText, (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('access_api_keys_owner')
      .ifNotExists()
      .on('access_api_keys')
      .columns(['owner_kind', 'owner_name'])
      .execute();
    await db.schema
      .createTable('access_roles')
      .ifNotExists()
      .addColumn('name', t.binaryText, (c) => c.primaryKey())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('permissions', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_role_assignments')
      .ifNotExists()
      .addColumn('id', t.binaryText, (c) => c.primaryKey())
      .addColumn('role', t.binaryText, (c) => c.notNull())
      .addColumn('principal_kind', 'text', (c) => c.notNull())
      .addColumn('principal_name', t.binaryText, (c) => c.notNull())
      .addColumn('scope', t.binaryText, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addUniqueConstraint('access_role_assignments_unique', [
        'principal_kind',
        'principal_name',
        'role',
        'scope',
      ])
      .execute();
    await db.schema
      .createIndex('access_role_assignments_role')
      .ifNotExists()
      .on('access_role_assignments')
      .columns(['role'])
      .execute();
    await db.schema
      .createTable('access_refresh_tokens')
      .ifNotExists()
      .addColumn('id', t.binaryText, (c) => c.primaryKey())
      .addColumn('subject_kind', 'text', (c) => c.notNull())
      .addColumn('subject_name', t.binaryText, (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('access_refresh_tokens_subject')
      .ifNotExists()
      .on('access_refresh_tokens')
      .columns(['subject_kind', 'subject_name'])
      .execute();
    await db.schema
      .createTable('access_audit')
      .ifNotExists()
      .addColumn('id', t.binaryText, (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', t.binaryText)
      .addColumn('actor_kind', 'text')
      .addColumn('action', t.binaryText, (c) => c.notNull())
      .addColumn('resource', t.binaryText)
      .addColumn('method', 'text')
      .addColumn('path', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('status', 'integer')
      .addColumn('remote', 'text')
      .addColumn('request_id', 'text')
      .addColumn('detail', 'text')
      .execute();
    await db.schema
      .createIndex('access_audit_actor')
      .ifNotExists()
      .on('access_audit')
      .columns(['actor', 'id'])
      .execute();
    await db.schema
      .createIndex('access_audit_outcome')
      .ifNotExists()
      .on('access_audit')
      .columns(['outcome', 'id'])
      .execute();
    await db.schema
      .createTable('access_settings')
      .ifNotExists()
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'access_settings',
      'access_audit',
      'access_refresh_tokens',
      'access_role_assignments',
      'access_roles',
      'access_api_keys',
      'access_service_accounts',
      'access_group_members',
      'access_groups',
      'access_users',
    ]) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
});
