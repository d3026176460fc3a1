import pg from 'pg';
import { openDatabase, type MetadataDb } from '../../src/db/index.js';
import { createTestDatabase, postgresAdminUrl, type Dialect } from './dialects.js';

/**
 * pg's pool ends its connections without waiting for them to go; a forced DROP DATABASE right after
 * would kill them mid-goodbye (an uncaught error in the test process). Wait until they are gone.
 */
async function waitForDisconnect(database: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const { rows } = await client.query<{ n: string }>(
        'select count(*) as n from pg_stat_activity where datname = $1',
        [database],
      );
      if (Number(rows[0]?.n) === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await client.end();
  }
}

/** A fresh, migrated metadata database of `dialect` (SQLite in memory, or a new PostgreSQL database). */
export async function freshDatabase(dialect: Dialect): Promise<{ meta: MetadataDb; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const meta = await openDatabase('sqlite::memory:');
    return { meta, drop: () => meta.close() };
  }
  const database = await createTestDatabase();
  const meta = await openDatabase(database.url);
  return {
    meta,
    drop: async () => {
      await meta.close();
      await waitForDisconnect(database.name);
      await database.drop();
    },
  };
}
