import { readLogin } from '../login-store.js';

interface Cached {
  header: string | undefined;
  until: number;
}

/** Seconds a token is trusted before its `expires_in` runs out, so no request carries a dying one. */
const marginMs = 30_000;

/**
 * The Authorization headers of one transfer against one server: an API key as it is; a username and
 * password (ARCA_USERNAME/ARCA_PASSWORD) or the stored login exchanged once for short-lived tokens
 * (one per repository for /v2, one for the API), so parallel chunks never make the server check a
 * password again. A 401 drops the cached header (`forget`) and the caller retries once.
 */
export class ServerAuth {
  private readonly cache = new Map<string, Promise<Cached>>();

  constructor(readonly server: string) {}

  /** The header for the asset API (`/api/v1`). */
  api(): Promise<string | undefined> {
    return this.header('');
  }

  /**
   * The header for `/v2/<repository>/…`, with pull and push on that repository (and pull on
   * `mountFrom`, the source of a cross-repository mount).
   */
  registry(repository: string, mountFrom?: string): Promise<string | undefined> {
    return this.header(scopeOf(repository, mountFrom));
  }

  /** Drop what is cached for a scope ('' for the API), after the server answered 401. */
  forget(repository?: string, mountFrom?: string): void {
    this.cache.delete(repository === undefined ? '' : scopeOf(repository, mountFrom));
  }

  private async header(scope: string): Promise<string | undefined> {
    const cached = this.cache.get(scope);
    if (cached) {
      const value = await cached.catch(() => undefined);
      if (value && value.until > Date.now()) return value.header;
    }
    const next = this.fetchHeader(scope);
    this.cache.set(scope, next);
    next.catch(() => this.cache.delete(scope));
    return (await next).header;
  }

  private async fetchHeader(scope: string): Promise<Cached> {
    const forever = Number.MAX_SAFE_INTEGER;
    const apiKey = process.env.ARCA_API_KEY;
    if (apiKey) return { header: `Bearer ${apiKey}`, until: forever };
    const user = process.env.ARCA_USERNAME;
    if (user) {
      const basic = `Basic ${Buffer.from(`${user}:${process.env.ARCA_PASSWORD ?? ''}`).toString('base64')}`;
      const query = scope ? `?scope=${encodeURIComponent(scope)}` : '';
      const res = await this.send(`${this.server}/auth/token${query}`, { headers: { Authorization: basic } });
      // A server without a token service (htpasswd, or no authentication) takes Basic on every request.
      if (res.status === 404 || res.status === 405) return { header: basic, until: forever };
      return this.tokenFrom(res, 'invalid username or password (ARCA_USERNAME/ARCA_PASSWORD)');
    }
    const login = readLogin(this.server);
    if (!login) return { header: undefined, until: forever };
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: login.refresh_token });
    if (scope) form.set('scope', scope);
    const res = await this.send(`${this.server}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    return this.tokenFrom(res, 'stored login refused; run arca login again');
  }

  private async tokenFrom(res: Response, refused: string): Promise<Cached> {
    const body = (await res.json().catch(() => ({}))) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const token = body.access_token ?? body.token;
    if (!res.ok || !token) throw new Error(`${refused} (HTTP ${res.status})`);
    const lifetimeMs = (body.expires_in ?? 60) * 1000;
    return { header: `Bearer ${token}`, until: Date.now() + Math.max(lifetimeMs - marginMs, 1000) };
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new Error(`cannot reach ${this.server}: ${cause}`);
    }
  }
}

function scopeOf(repository: string, mountFrom?: string): string {
  const own = `repository:${repository}:pull,push`;
  return mountFrom === undefined ? own : `${own} repository:${mountFrom}:pull`;
}
