import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { hashPassword, passwordProblem } from './passwords.js';
import { randomId, randomPassword } from './secrets.js';
import * as assignments from './store/assignments.js';
import * as settings from './store/settings.js';
import * as users from './store/users.js';

export const FIRST_ADMIN = 'admin';

/** What the first start did about the first administrator. */
export type FirstAdmin =
  | { kind: 'created'; user: string; password: string; generated: boolean }
  /** Nothing to do: the database already had its first administrator (or another replica made it). */
  | { kind: 'exists' }
  /** ARCA_ADMIN_PASSWORD was given and changed nothing; `reason` says why, for the log. */
  | { kind: 'password-ignored'; reason: string };

/**
 * Why ARCA_ADMIN_PASSWORD did nothing. It only ever seeds the first start, so an operator who sets
 * it to regain access must hear that it was ignored, and what does reset a password.
 */
export function adminPasswordIgnored(why: string): FirstAdmin {
  return {
    kind: 'password-ignored',
    reason: `ARCA_ADMIN_PASSWORD is ignored: ${why}; to reset a lost password run \`arca admin reset-password [USER]\` with the server's configuration`,
  };
}

/**
 * On the very first start, create the user `admin` with the Owner role at `/`. Its password is
 * `adminPassword` (ARCA_ADMIN_PASSWORD) or a generated one, returned so the caller shows it once.
 * Runs once per database, whatever happens to that user later (a deleted admin is not recreated);
 * of several replicas starting together, one does it. Later starts given a password say it was ignored.
 */
export async function createFirstAdmin(
  db: Kysely<Database>,
  adminPassword: string | undefined,
): Promise<FirstAdmin> {
  if ((await settings.getSetting(db, 'first_admin')) !== undefined) {
    return adminPassword === undefined
      ? { kind: 'exists' }
      : adminPasswordIgnored('this database already had its first administrator');
  }
  if (adminPassword !== undefined) {
    const problem = passwordProblem(adminPassword);
    if (problem) throw new Error(`ARCA_ADMIN_PASSWORD: ${problem}`);
  }
  const password = adminPassword ?? randomPassword();
  const hash = await hashPassword(password);
  const now = Date.now();
  return db.transaction().execute(async (tx) => {
    // Another replica claimed it first: the password it was given is the one in use.
    if (!(await settings.claimSetting(tx, 'first_admin', String(now)))) return { kind: 'exists' } as const;
    if (!(await users.insertUser(tx, FIRST_ADMIN, hash, now))) return { kind: 'exists' } as const;
    await assignments.insertAssignment(tx, {
      id: randomId(8),
      role: 'Owner',
      principal_kind: 'user',
      principal_name: FIRST_ADMIN,
      scope: '/',
      created_at: now,
      created_by: null,
    });
    return { kind: 'created', user: FIRST_ADMIN, password, generated: adminPassword === undefined } as const;
  });
}
