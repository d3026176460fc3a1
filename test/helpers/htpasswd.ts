import { writeFile } from 'node:fs/promises';
import { execOk } from './exec.js';

/** The realm the tests configure for htpasswd, registry:2's example. */
export const HTPASSWD_REALM = 'basic-realm';

export interface Credentials {
  user: string;
  pass: string;
}

/** Write a bcrypt htpasswd file (`htpasswd -Bbn`, the only hash registry:2 accepts) with one user. */
export async function writeHtpasswd(path: string, creds: Credentials): Promise<string> {
  const { stdout } = await execOk('htpasswd', ['-Bbn', creds.user, creds.pass]);
  await writeFile(path, stdout.trim() + '\n', { mode: 0o600 });
  return path;
}
