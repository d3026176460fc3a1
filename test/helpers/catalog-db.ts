import { openDatabase, type MetadataDb } from '../../src/db/index.js';
import { createTestDatabase, type Dialect } from './dialects.js';

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
      await database.drop();
    },
  };
}
