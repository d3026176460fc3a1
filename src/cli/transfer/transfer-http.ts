import type { ServerAuth } from './server-auth.js';

/** An answer the server gave that the transfer cannot use, with the server's own words. */
export class TransferError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** Worth another try after a pause: the connection failed, or the server was busy or failing. */
    readonly retryable: boolean,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface TransferRequest {
  method: string;
  /** A path on the server (`/v2/…`, `/api/v1/…`) or an absolute URL (an upload's `Location`). */
  url: string;
  /** The repository whose /v2 token the request needs; none for the asset API. */
  repository?: string;
  /** The source of a cross-repository mount: its pull is asked for as well. */
  mountFrom?: string;
  headers?: Record<string, string>;
  /** Made anew for each attempt: a stream can be read once. */
  body?: () => RequestInit['body'];
  signal?: AbortSignal;
}

/** What an error body says: problem+json's `detail`/`title`, or the OCI error's message. */
async function serverMessage(res: Response): Promise<{ message: string; code?: string }> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as {
      detail?: string;
      title?: string;
      code?: string;
      errors?: { code?: string; message?: string; detail?: unknown }[];
    };
    const oci = body.errors?.[0];
    return {
      message: body.detail ?? body.title ?? oci?.message ?? res.statusText,
      code: body.code ?? oci?.code,
    };
  } catch {
    return { message: text.slice(0, 200) || res.statusText };
  }
}

/** HTTP for transfers: the right Authorization header, one retry after a 401, server errors read once. */
export class TransferHttp {
  constructor(readonly auth: ServerAuth) {}

  get server(): string {
    return this.auth.server;
  }

  /** An absolute URL for a path or a `Location` the server returned. */
  resolve(url: string): string {
    return new URL(url, `${this.server}/`).toString();
  }

  /** Send; answers of any status come back (the caller decides), failures to connect throw. */
  async send(req: TransferRequest): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...req.headers };
      const authorization =
        req.repository === undefined
          ? await this.auth.api()
          : await this.auth.registry(req.repository, req.mountFrom);
      if (authorization) headers.Authorization = authorization;
      const body = req.body?.();
      let res: Response;
      try {
        res = await fetch(this.resolve(req.url), {
          method: req.method,
          headers,
          body,
          signal: req.signal,
          ...(body ? { duplex: 'half' } : {}),
        } as RequestInit);
      } catch (err) {
        if (req.signal?.aborted) throw err;
        const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
        throw new TransferError(`cannot reach ${this.server}: ${cause}`, 0, true);
      }
      if (res.status !== 401 || attempt > 0 || !authorization?.startsWith('Bearer ')) return res;
      await res.body?.cancel();
      this.auth.forget(req.repository, req.mountFrom);
    }
  }

  /** Send and require one of `ok` statuses; anything else becomes a TransferError. */
  async expect(req: TransferRequest, ok: number[]): Promise<Response> {
    const res = await this.send(req);
    if (ok.includes(res.status)) return res;
    throw await this.failure(res);
  }

  async failure(res: Response): Promise<TransferError> {
    const { message, code } = await serverMessage(res);
    // Signed in, but the token the server would issue lacks the action: a matter of roles, not of signing in.
    const challenge = res.headers.get('www-authenticate') ?? '';
    if (res.status === 401 && challenge.includes('insufficient_scope')) {
      const scope = /scope="repository:([^:"]+):([^"]+)"/.exec(challenge);
      const what = scope ? `${scope[2]} on ${scope[1]}` : 'this';
      return new TransferError(`denied: your roles do not allow ${what} (HTTP 403)`, 403, false, 'DENIED');
    }
    const hint = res.status === 401 ? ' (sign in with arca login, or set ARCA_API_KEY)' : '';
    const retryable = res.status === 429 || res.status >= 500;
    return new TransferError(`${message} (HTTP ${res.status})${hint}`, res.status, retryable, code);
  }
}
