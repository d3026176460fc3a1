import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { AppError } from '../errors/index.js';
import type { Htpasswd } from './htpasswd.js';
import { PasswordVerifier } from './passwords.js';
import type { Caller } from './principal.js';
import { hashSecret, newSecret, secretId, secretMatches } from './secrets.js';
import { LiveAccounts } from './live-accounts.js';
import { LoginThrottle } from './throttle.js';
import type { VerifiedToken } from './tokens.js';
import * as refreshTokens from './store/refresh-tokens.js';
import * as serviceAccounts from './store/service-accounts.js';
import * as users from './store/users.js';

const invalidCredentials = () => new AppError('UNAUTHORIZED', 'invalid username or password');

/**
 * Checks credentials: passwords of Arca's users and of htpasswd users, API keys of service accounts
 * (as a password or a bearer secret) and refresh tokens. Failures are throttled per (account,
 * address), per address and per account; every secret is compared in constant time.
 */
export class Authenticator {
  private readonly passwords = new PasswordVerifier();
  private readonly accounts: LiveAccounts;
  /** Password checks in progress, by `flightKey`. */
  private readonly flights = new Map<string, Promise<Caller | null>>();
  private readonly flightSecret = randomBytes(32);

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: {
      htpasswd?: Htpasswd;
      throttle?: LoginThrottle;
      refreshTokenTtlMs: number;
      now?: () => number;
    },
  ) {
    this.accounts = new LiveAccounts(db, () => this.now());
  }

  private get throttle(): LoginThrottle {
    return (this.options.throttle ??= new LoginThrottle());
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Forget cached key checks (a key was revoked, an account disabled or deleted). */
  invalidate(): void {
    this.accounts.invalidate();
  }

  /**
   * The caller a bearer token issued here stands for, while its account is as it was when the token
   * was issued: a disabled or deleted user or service account, or a revoked API key, ends its tokens
   * at once in this process (writes call `invalidate()`) and within a couple of seconds (`LiveAccounts`) on other
   * replicas. A user's tokens also end when the account changes (password, disabled, enabled again)
   * and a name's tokens never pass to a new account of the same name. Null when the token no longer
   * holds. Tokens of an external token server name users Arca does not keep: they stand as they are.
   */
  async tokenCaller(token: VerifiedToken): Promise<Caller | null> {
    if (token.kind === 'anonymous' || token.subject === '') return { kind: 'anonymous' };
    if (!token.issuedHere) return { kind: 'user', name: token.subject, source: 'external' };
    if (token.apiKeyId !== undefined) {
      const caller = await this.accounts.keyCaller(token.apiKeyId, undefined);
      return caller?.kind === 'service-account' && caller.name === token.subject ? caller : null;
    }
    if (token.kind === 'user' && this.options.htpasswd?.has(token.subject)) {
      return { kind: 'user', name: token.subject, source: 'htpasswd' };
    }
    const kind = token.kind === 'service-account' ? 'service-account' : 'user';
    const since = await this.accounts.since(kind, token.subject);
    // `iat` is in whole seconds: a token counts as older than the change only when it surely is.
    if (since === null || token.issuedAt + 1000 <= since) return null;
    return kind === 'user'
      ? { kind: 'user', name: token.subject, source: 'arca' }
      : { kind: 'service-account', name: token.subject };
  }

  /**
   * A username and a password, or a service account's name and one of its API keys. Throws
   * UNAUTHORIZED when they do not match, TOOMANYREQUESTS (with Retry-After) while throttled.
   */
  async password(username: string, password: string, address: string): Promise<Caller> {
    const decision = this.throttle.check(username, address);
    if (!decision.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      throw new AppError('TOOMANYREQUESTS', `too many failed logins: retry in ${seconds} s`, undefined, {
        headers: { 'Retry-After': String(seconds) },
      });
    }
    // The same credentials already being checked (a client's parallel requests): share that check,
    // so a client's own burst neither costs more bcrypt nor counts as many attempts.
    const key = this.flightKey(username, password);
    const running = this.flights.get(key);
    if (running) {
      const caller = await running;
      if (!caller) throw invalidCredentials();
      return caller;
    }
    // Counted before the check, synchronously: of simultaneous guesses, each sees the ones before it.
    this.throttle.attempt(username, address);
    const flight = (async () => {
      if (decision.delayMs > 0) await new Promise((r) => setTimeout(r, decision.delayMs));
      return this.check(username, password);
    })();
    this.flights.set(key, flight);
    let caller: Caller | null;
    try {
      caller = await flight;
    } finally {
      this.flights.delete(key);
    }
    if (!caller) throw invalidCredentials();
    this.throttle.success(username, address);
    return caller;
  }

  /** A keyed hash of the credentials, never the password itself, for `flights`. */
  private flightKey(username: string, password: string): string {
    return createHmac('sha256', this.flightSecret)
      .update(username)
      .update('\0')
      .update(password)
      .digest('base64');
  }

  private async check(username: string, password: string): Promise<Caller | null> {
    if (secretId('api-key', password) !== null) {
      const caller = await this.apiKeyCaller(password);
      return caller && caller.kind === 'service-account' && caller.name === username ? caller : null;
    }
    const htpasswd = this.options.htpasswd;
    if (htpasswd?.has(username)) {
      return (await htpasswd.verify(username, password))
        ? { kind: 'user', name: username, source: 'htpasswd' }
        : null;
    }
    const row = await users.getUser(this.db, username);
    const ok = await this.passwords.verify(username, password, row?.password_hash);
    return ok && row && row.disabled === 0 ? { kind: 'user', name: username, source: 'arca' } : null;
  }

  /** An API key given alone (`Authorization: Bearer arca_k_…`). */
  async apiKey(secret: string, address: string): Promise<Caller> {
    const decision = this.throttle.check('', address);
    if (!decision.allowed) {
      throw new AppError('TOOMANYREQUESTS', 'too many failed logins', undefined, {
        headers: { 'Retry-After': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))) },
      });
    }
    const caller = await this.apiKeyCaller(secret);
    if (!caller) {
      this.throttle.failure('', address);
      throw new AppError('UNAUTHORIZED', 'invalid API key');
    }
    return caller;
  }

  private apiKeyCaller(secret: string): Promise<Caller | null> {
    const id = secretId('api-key', secret);
    return id === null ? Promise.resolve(null) : this.accounts.keyCaller(id, secret);
  }

  /** A refresh token for this caller (docker's identity token, `arca login`): shown once, stored hashed. */
  async issueRefreshToken(caller: Exclude<Caller, { kind: 'anonymous' }>): Promise<string> {
    const { id, secret } = newSecret('refresh-token');
    const now = this.now();
    // A token obtained with an API key lives only as long as that key.
    const subject =
      caller.kind === 'service-account' && caller.apiKeyId
        ? { kind: 'api-key', name: caller.apiKeyId }
        : caller.kind === 'user' && caller.source === 'htpasswd'
          ? { kind: 'htpasswd-user', name: caller.name }
          : { kind: caller.kind, name: caller.name };
    await refreshTokens.insertRefreshToken(this.db, {
      id,
      subject_kind: subject.kind,
      subject_name: subject.name,
      secret_hash: hashSecret(secret),
      created_at: now,
      expires_at: now + this.options.refreshTokenTtlMs,
      last_used_at: null,
      revoked_at: null,
    });
    return secret;
  }

  /** The caller a refresh token stands for, while the token and its subject are still valid. */
  async refreshToken(secret: string, address: string): Promise<Caller> {
    const decision = this.throttle.check('', address);
    if (!decision.allowed) {
      throw new AppError('TOOMANYREQUESTS', 'too many failed logins', undefined, {
        headers: { 'Retry-After': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))) },
      });
    }
    const caller = await this.refreshCaller(secret);
    if (!caller) {
      this.throttle.failure('', address);
      throw new AppError('UNAUTHORIZED', 'invalid or expired refresh token');
    }
    return caller;
  }

  private async refreshCaller(secret: string): Promise<Caller | null> {
    const id = secretId('refresh-token', secret);
    if (id === null) return null;
    const now = this.now();
    const row = await refreshTokens.getRefreshToken(this.db, id);
    if (!row || row.revoked_at !== null || row.expires_at <= now || !secretMatches(secret, row.secret_hash)) {
      return null;
    }
    let caller: Caller | null = null;
    if (row.subject_kind === 'user') {
      const user = await users.getUser(this.db, row.subject_name);
      if (user && user.disabled === 0) caller = { kind: 'user', name: user.name, source: 'arca' };
    } else if (row.subject_kind === 'htpasswd-user') {
      if (this.options.htpasswd?.has(row.subject_name)) {
        caller = { kind: 'user', name: row.subject_name, source: 'htpasswd' };
      }
    } else if (row.subject_kind === 'api-key') {
      caller = await this.accounts.keyCaller(row.subject_name, undefined);
    } else if (row.subject_kind === 'service-account') {
      const account = await serviceAccounts.getServiceAccount(this.db, row.subject_name);
      if (account && account.disabled === 0) caller = { kind: 'service-account', name: account.name };
    }
    if (caller) await refreshTokens.touchRefreshToken(this.db, id, now);
    return caller;
  }

  /** End a refresh token (`arca logout`). */
  async revokeRefreshToken(secret: string): Promise<boolean> {
    const id = secretId('refresh-token', secret);
    const row = id === null ? undefined : await refreshTokens.getRefreshToken(this.db, id);
    if (!row || !secretMatches(secret, row.secret_hash)) return false;
    return refreshTokens.revokeRefreshToken(this.db, row.id, this.now());
  }
}
