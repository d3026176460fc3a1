import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a secret, hex. Secrets made here carry 256 random bits, so no slow hash is needed. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compare a secret with a stored hash in constant time (both sides are hashed to equal length). */
export function secretMatches(secret: string, storedHash: string): boolean {
  const given = createHash('sha256').update(secret, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}

/** What a bearer secret is: an API key (`arca_k_…`) or a refresh token (`arca_r_…`). */
export type SecretKind = 'api-key' | 'refresh-token';

const prefixes: Record<SecretKind, string> = { 'api-key': 'arca_k_', 'refresh-token': 'arca_r_' };
const idLength = 16;

/**
 * A new secret: `<prefix><16 hex id>_<43 base64url characters>`. The id finds the row; only the
 * hash of the whole string is stored. The prefix lets secret scanners and logs recognise it.
 */
export function newSecret(kind: SecretKind): { id: string; secret: string } {
  const id = randomBytes(idLength / 2).toString('hex');
  return { id, secret: `${prefixes[kind]}${id}_${randomBytes(32).toString('base64url')}` };
}

/** The row id inside a secret of this kind, or null when the text is not one. */
export function secretId(kind: SecretKind, text: string): string | null {
  const prefix = prefixes[kind];
  if (!text.startsWith(prefix) || text.length !== prefix.length + idLength + 1 + 43) return null;
  const id = text.slice(prefix.length, prefix.length + idLength);
  return /^[0-9a-f]+$/.test(id) && text[prefix.length + idLength] === '_' ? id : null;
}

/** A random password for a generated account: 24 base64url characters (144 bits). */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** A random identifier (hex) for rows. */
export function randomId(bytes = 12): string {
  return randomBytes(bytes).toString('hex');
}
