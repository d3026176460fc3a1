/**
 * The console's session with Arca's token service. The password goes to `/auth/token` once and is
 * never kept; the refresh token (revocable, `/auth/revoke` at sign-out) is kept in sessionStorage so
 * a reload keeps the session while closing the tab ends it; access tokens live in memory only and
 * are renewed from the refresh token before they expire or after a 401.
 */
const storeKey = 'arca.console.refresh';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Cached {
  token: string;
  until: number;
}

let refresh: string | null = sessionStorage.getItem(storeKey);
const tokens = new Map<string, Promise<Cached>>();
const listeners = new Set<() => void>();

/** A server with `auth: none` takes every request as it is: no sign-in, no tokens. */
let open = false;

export function signedIn(): boolean {
  return open || refresh !== null;
}

/**
 * Ask the server whether it has authentication at all; true when it has none. A token service
 * (its public keys answer) means accounts: sign in. Only without one is `/api/v1/me` asked unsigned.
 */
export async function detectOpenServer(): Promise<boolean> {
  const keys = await fetch('/auth/jwks', { credentials: 'omit' }).catch(() => undefined);
  if (keys?.ok) return false;
  const res = await fetch('/api/v1/me', { credentials: 'omit' }).catch(() => undefined);
  if (!res?.ok) return false;
  const me = (await res.json().catch(() => ({}))) as { auth?: string };
  open = me.auth === 'none';
  if (open) changed();
  return open;
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(): void {
  for (const l of listeners) l();
}

async function tokenRequest(form: Record<string, string>): Promise<Response> {
  return fetch('/auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    credentials: 'omit',
  });
}

async function reason(res: Response): Promise<string> {
  const body = (await res.json().catch(() => ({}))) as {
    error_description?: string;
    detail?: string;
    title?: string;
    errors?: { message?: string }[];
  };
  return (
    body.error_description ?? body.detail ?? body.errors?.[0]?.message ?? body.title ?? `HTTP ${res.status}`
  );
}

/** Exchange a password for a refresh token (kept) and a first access token (cached). */
export async function signIn(username: string, password: string): Promise<void> {
  const res = await tokenRequest({ grant_type: 'password', username, password, access_type: 'offline' });
  if (!res.ok) throw new ApiError(res.status, 'UNAUTHORIZED', await reason(res));
  const body = (await res.json()) as { access_token: string; refresh_token?: string; expires_in?: number };
  if (!body.refresh_token) throw new ApiError(500, 'UNAUTHORIZED', 'the server gave no refresh token');
  refresh = body.refresh_token;
  sessionStorage.setItem(storeKey, refresh);
  tokens.clear();
  tokens.set('', Promise.resolve(cache(body.access_token, body.expires_in)));
  changed();
}

/** Revoke the refresh token and forget every token. */
export async function signOut(): Promise<void> {
  const token = refresh;
  refresh = null;
  sessionStorage.removeItem(storeKey);
  tokens.clear();
  changed();
  if (token) {
    await fetch('/auth/revoke', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    }).catch(() => undefined);
  }
}

function cache(token: string, expiresIn = 60): Cached {
  return { token, until: Date.now() + Math.max(expiresIn * 1000 - 15_000, 5_000) };
}

/** An access token for `scope` ('' for the API), from the cache or the refresh token. */
async function accessToken(scope: string): Promise<string> {
  const hit = tokens.get(scope);
  if (hit) {
    const value = await hit.catch(() => undefined);
    if (value && value.until > Date.now()) return value.token;
  }
  const next = (async () => {
    if (!refresh) throw new ApiError(401, 'UNAUTHORIZED', 'not signed in');
    const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refresh };
    if (scope) form.scope = scope;
    const res = await tokenRequest(form);
    if (!res.ok) {
      if (res.status === 401) {
        refresh = null;
        sessionStorage.removeItem(storeKey);
        tokens.clear();
        changed();
      }
      throw new ApiError(res.status, 'UNAUTHORIZED', await reason(res));
    }
    const body = (await res.json()) as { access_token: string; expires_in?: number };
    return cache(body.access_token, body.expires_in);
  })();
  tokens.set(scope, next);
  next.catch(() => tokens.delete(scope));
  return (await next).token;
}

export interface RequestOptions {
  body?: unknown;
  /** For /v2: the token scope, e.g. `repository:a/b:pull`. */
  scope?: string;
  headers?: Record<string, string>;
}

/** A signed request; retried once with a fresh token after a 401. */
export async function send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const scope = options.scope ?? '';
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { ...options.headers };
    if (!open) headers.Authorization = `Bearer ${await accessToken(scope)}`;
    let body: BodyInit | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const res = await fetch(path, { method, headers, body, credentials: 'omit' });
    if (res.status === 401 && attempt === 0 && !open) {
      tokens.delete(scope);
      continue;
    }
    return res;
  }
}

/** A JSON call to /api/v1; a problem+json answer becomes an ApiError. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, `/api/v1${path}`, { body });
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({}))) as {
      code?: string;
      detail?: string;
      title?: string;
    };
    throw new ApiError(
      res.status,
      problem.code ?? String(res.status),
      problem.detail ?? problem.title ?? `HTTP ${res.status}`,
    );
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A /v2 request with a token for its scope. */
export async function v2(path: string, scope: string, headers?: Record<string, string>): Promise<Response> {
  const res = await send('GET', `/v2/${path}`, { scope, headers });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { errors?: { code?: string; message?: string }[] };
    const first = body.errors?.[0];
    throw new ApiError(res.status, first?.code ?? String(res.status), first?.message ?? `HTTP ${res.status}`);
  }
  return res;
}

/** Save a response's bytes as a file the browser downloads. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await send('GET', path);
  if (!res.ok) throw new ApiError(res.status, String(res.status), `download failed: HTTP ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
