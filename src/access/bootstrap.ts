import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { hashPassword, passwordProblem } from './passwords.js';
import { randomId, randomPassword } from './secrets.js';
import * as assignments from './store/assignments.js';
import * as settings from './store/settings.js';
import * as users from './store/users.js';

export const FIRST_ADMIN = 'admin';

/**
 * On the very first start, create the user `admin` with the Owner role at `/`. Its password is
 * `adminPassword` (ARCA_ADMIN_PASSWORD) or a generated one, returned so the caller shows it once.
 * Runs once per database, whatever happens to that user later (a deleted admin is not recreated);
 * of several replicas starting together, one does it.
 */
export async function createFirstAdmin(
  db: Kysely<Database>,
  adminPassword: string | undefined,
): Promise<{ user: string; password: string; generated: boolean } | null> {
  if ((await settings.getSetting(db, 'first_admin')) !== undefined) return null;
  if (adminPassword !== undefined) {
    const problem = passwordProblem(adminPassword);
    if (problem) throw new Error(`ARCA_ADMIN_PASSWORD: ${problem}`);
  }
  const password = adminPassword ?? randomPassword();
  const hash = await hashPassword(password);
  const now = Date.now();
  return db.transaction().execute(async (tx) => {
    if (!(await settings.claimSetting(tx, 'first_admin', String(now)))) return null;
    if (!(await users.insertUser(tx, FIRST_ADMIN, hash, now))) return null;
    await assignments.insertAssignment(tx, {
      id: randomId(8),
      role: 'Owner',
      principal_kind: 'user',
      principal_name: FIRST_ADMIN,
      scope: '/',
      created_at: now,
      created_by: null,
    });
    return { user: FIRST_ADMIN, password, generated: adminPassword === undefined };
  });
}
