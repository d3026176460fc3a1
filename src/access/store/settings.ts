import type { Executor } from '../../db/index.js';

export async function getSetting(db: Executor, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('access_settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

/** Set a value only if the key is new; true when this call set it (the first replica wins). */
export async function claimSetting(db: Executor, key: string, value: string): Promise<boolean> {
  const inserted = await db
    .insertInto('access_settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  return inserted !== undefined;
}
