import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Metadata database dialects Arca runs on. */
export type Dialect = 'sqlite' | 'postgres';

const ALL: readonly Dialect[] = ['sqlite', 'postgres'];
const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The dialects to test: both by default; `ARCA_TEST_DIALECTS=sqlite` (comma-separated) restricts.
 * PostgreSQL is never skipped silently: when it is listed and unreachable, `startArca` and
 * `assertPostgresReachable` throw, and the tests fail.
 */
export function dialects(): Dialect[] {
  const raw = process.env.ARCA_TEST_DIALECTS?.trim();
  if (!raw) return [...ALL];
  const wanted = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const w of wanted) {
    if (!ALL.includes(w as Dialect)) {
      throw new Error(`ARCA_TEST_DIALECTS: unknown dialect ${JSON.stringify(w)} (known: ${ALL.join(', ')})`);
    }
  }
  return ALL.filter((d) => wanted.includes(d));
}

/** The server the postgres tests use: `ARCA_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/test. */
export function postgresAdminUrl(): string {
  return process.env.ARCA_TEST_POSTGRES_URL ?? DEFAULT_POSTGRES_URL;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = postgresAdminUrl();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw new Error(
      `PostgreSQL is not reachable at ${redact(url)} (${(e as Error).message || String(e)}). ` +
        'The postgres tests need it: start PostgreSQL, point ARCA_TEST_POSTGRES_URL at one, ' +
        'or run only SQLite with ARCA_TEST_DIALECTS=sqlite.',
      { cause: e },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Throws a clear error when the PostgreSQL server of the tests cannot be reached. */
export async function assertPostgresReachable(): Promise<void> {
  await withAdmin((c) => c.query('select 1'));
}

export interface TestDatabase {
  readonly name: string;
  /** The admin URL with the database name replaced. */
  readonly url: string;
  /** DROP DATABASE … WITH (FORCE) (closes the connections left to it). */
  drop(): Promise<void>;
}

/** A fresh, empty database `arca_t_<random>` on the tests' PostgreSQL server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `arca_t_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(postgresAdminUrl());
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      dropped = true;
    },
  };
}
