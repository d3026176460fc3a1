import { createHmac, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { AppError } from '../errors/index.js';
import { Semaphore } from './semaphore.js';

const cost = 10;
/** How long a verified password is trusted before bcrypt runs again. */
const verifiedTtlMs = 60_000;

/** bcrypt's input limit: longer passwords would be silently cut. */
export const maxPasswordBytes = 72;
export const minPasswordLength = 8;

/** Why a password is not acceptable, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < minPasswordLength) return `must be at least ${minPasswordLength} characters`;
  if (Buffer.byteLength(password, 'utf8') > maxPasswordBytes)
    return `must be at most ${maxPasswordBytes} bytes`;
  return null;
}

/**
 * Every bcrypt computation of this process goes through here: a few at a time (each costs tens of
 * milliseconds of CPU on the one JavaScript thread), a bounded queue, and 429 beyond it, so a burst
 * of sign-ins cannot starve every other request.
 */
export const bcryptGate = new Semaphore(
  2,
  64,
  () =>
    new AppError('TOOMANYREQUESTS', 'too many sign-ins at once: retry in a second', undefined, {
      headers: { 'Retry-After': '1' },
    }),
);

/** bcrypt's compare, through `bcryptGate`. */
export function bcryptCompare(password: string, hash: string): Promise<boolean> {
  return bcryptGate.run(() => bcrypt.compare(password, hash));
}

export function hashPassword(password: string): Promise<string> {
  return bcryptGate.run(() => bcrypt.hash(password, cost));
}

let dummyHash: string | undefined;

/** A hash of nothing anyone knows: comparing with it spends bcrypt's time when there is no user. */
export function dummyPasswordHash(): string {
  return (dummyHash ??= bcrypt.hashSync('arca-no-such-user', cost));
}

/**
 * bcrypt checks, remembered briefly. A success is cached under a keyed hash of (user, stored hash,
 * password), never the password itself; a changed password changes the stored hash and so misses.
 */
export class PasswordVerifier {
  private readonly verified = new Map<string, number>();
  private readonly cacheKey = randomBytes(32);

  /** Compare with a stored bcrypt hash; with none, spend the same time and fail (no user probing). */
  async verify(user: string, password: string, storedHash: string | undefined): Promise<boolean> {
    if (storedHash === undefined || !/^\$2[aby]\$/.test(storedHash)) {
      await bcryptCompare(password, dummyPasswordHash());
      return false;
    }
    const key = createHmac('sha256', this.cacheKey)
      .update(user)
      .update('\0')
      .update(storedHash)
      .update('\0')
      .update(password)
      .digest('base64');
    const expiry = this.verified.get(key);
    if (expiry !== undefined && expiry > Date.now()) return true;
    if (!(await bcryptCompare(password, storedHash))) return false;
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(key, Date.now() + verifiedTtlMs);
    return true;
  }
}
