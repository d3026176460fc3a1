import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import bcrypt from 'bcryptjs';
import { bcryptCompare, dummyPasswordHash } from './passwords.js';

/** How long a verified password is trusted before bcrypt runs again. */
const verifiedTtlMs = 60_000;

/**
 * Users from an Apache htpasswd file with bcrypt entries, as registry:2 reads them.
 * bcrypt is deliberately slow, so a successful check is remembered briefly (as a keyed hash, never
 * the password) and the file is re-read when it changes.
 */
export class Htpasswd {
  private entries = new Map<string, string>();
  private loadedMtime = 0;
  private readonly verified = new Map<string, number>();
  private readonly cacheKey = randomBytes(32);

  constructor(private readonly path: string) {
    this.reload();
  }

  /**
   * Create the file with one user and a random password when it does not exist, as registry:2 does.
   * Returns the generated credentials so the caller can show them once.
   */
  static ensure(path: string): { user: string; password: string } | null {
    if (existsSync(path)) return null;
    const user = 'docker';
    const password = randomBytes(18).toString('base64url');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${user}:${bcrypt.hashSync(password, 10)}\n`, { mode: 0o600 });
    return { user, password };
  }

  private reload(): void {
    const mtime = statSync(this.path).mtimeMs;
    if (mtime === this.loadedMtime) return;
    const entries = new Map<string, string>();
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const colon = trimmed.indexOf(':');
      if (colon <= 0) continue;
      entries.set(trimmed.slice(0, colon), trimmed.slice(colon + 1));
    }
    this.entries = entries;
    this.loadedMtime = mtime;
    this.verified.clear();
  }

  /** Is this user in the file? */
  has(user: string): boolean {
    try {
      this.reload();
    } catch {
      // The file vanished or is unreadable: keep the last good copy.
    }
    return this.entries.has(user);
  }

  async verify(user: string, password: string): Promise<boolean> {
    try {
      this.reload();
    } catch {
      // The file vanished or is unreadable: keep the last good copy.
    }
    const key = createHmac('sha256', this.cacheKey)
      .update(user)
      .update('\0')
      .update(password)
      .digest('base64');
    const expiry = this.verified.get(key);
    if (expiry !== undefined && expiry > Date.now()) return true;
    const hash = this.entries.get(user);
    // registry:2 accepts only bcrypt entries (htpasswd -B writes the $2y$ prefix).
    const ok = hash !== undefined && /^\$2[aby]\$/.test(hash) && (await bcryptCompare(password, hash));
    if (!ok) {
      // Spend about the same time when the user does not exist, so a probe cannot tell.
      if (hash === undefined) await bcryptCompare(password, dummyPasswordHash());
      return false;
    }
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(key, Date.now() + verifiedTtlMs);
    return true;
  }
}
