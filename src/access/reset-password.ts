import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { IdentityDirectory } from './identity-directory.js';

/**
 * Give a user a new password and enable the account, straight on the database (the offline
 * recovery of a lost administrator password). Goes through the directory's own update, so the
 * password rules apply and the user's refresh tokens end with the old password.
 */
export async function resetPassword(db: Kysely<Database>, name: string, password: string): Promise<void> {
  // No server process shares this directory's caches; a running server rereads the row on login.
  await new IdentityDirectory(db, () => {}).updateUser(name, { password, disabled: false });
}
