/** The SQLite file a `database.url` names (`sqlite:<path>`); null for `sqlite::memory:` and PostgreSQL. */
export function sqliteFileOf(url: string): string | null {
  if (!url.startsWith('sqlite:')) return null;
  const path = url.slice('sqlite:'.length);
  return path === ':memory:' ? null : path;
}
