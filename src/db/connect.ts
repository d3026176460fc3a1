import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';

export type Dialect = 'sqlite' | 'postgres';

export interface MetadataDb {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Throws if the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres';
  throw new Error(`database: unsupported url ${JSON.stringify(url.replace(/\/\/[^@]*@/, '//***@'))}`);
}

function sqliteDialect(url: string): SqliteDialect {
  const path = url.slice('sqlite:'.length);
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    ownerOnly(path);
  }
  const database = new SQLite(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return new SqliteDialect({ database: withStatementCache(database) });
}

/**
 * The database holds password hashes, API key hashes and sealed credentials: only the server's
 * user may read it, like the signing keys. The file is created 0600 before SQLite opens it (an
 * existing one is narrowed), and SQLite gives its -wal and -shm files the database file's mode.
 */
function ownerOnly(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

/**
 * Kysely prepares every query anew; preparing costs more than running a point lookup. The SQL of
 * the registry's queries is a small fixed set, so each statement is prepared once and reused.
 */
function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sqlText: string) {
      let statement = statements.get(sqlText);
      if (!statement) {
        if (statements.size >= 1000) statements.clear();
        statement = database.prepare(sqlText);
        statements.set(sqlText, statement);
      }
      return statement;
    },
  };
}

/** pg is loaded only when used: the embedded default never pays for it. */
async function postgresDialect(url: string): Promise<PostgresDialect> {
  const { default: pg } = await import('pg');
  // BIGINT columns hold sizes and times; they fit a JS number (2^53) for any real blob.
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  return new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 10 }) });
}

/** Open the metadata database and bring its schema up to date. */
export async function openDatabase(url: string): Promise<MetadataDb> {
  const dialect = dialectOf(url);
  const db = new Kysely<Database>({
    dialect: dialect === 'sqlite' ? sqliteDialect(url) : await postgresDialect(url),
  });
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database: migration ${failed ?? ''} failed: ${(error as Error).message}`);
  }
  return {
    db,
    dialect,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
