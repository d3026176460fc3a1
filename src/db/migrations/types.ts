import type { Migration, RawBuilder } from 'kysely';

/** Column types whose spelling differs between SQLite and PostgreSQL. */
export interface DialectTypes {
  bytes: RawBuilder<unknown>;
}

/** A migration written once for both dialects. */
export type MigrationDefinition = (types: DialectTypes) => Migration;
