import type { Migration, RawBuilder } from 'kysely';

/** Column types whose spelling differs between SQLite and PostgreSQL. */
export interface DialectTypes {
  bytes: RawBuilder<unknown>;
  /** Text compared and sorted by code point (PostgreSQL's "C" collation; SQLite's default BINARY). */
  binaryText: RawBuilder<unknown>;
}

/** A migration written once for both dialects. */
export type MigrationDefinition = (types: DialectTypes) => Migration;
