import { digestOf, manifestMediaTypes } from '../oci/index.js';
import {
  mayPresent,
  OutboundError,
  parseChallenge,
  type Outbound,
  type OutboundStream,
} from '../net/index.js';
import { UpstreamError } from './upstream-error.js';
import type { UpstreamIdentity, UpstreamLogin } from './upstream-login.js';

const maxRedirects = 3;
const maxTokens = 1000;

/** A manifest as the upstream gave it. */
export interface UpstreamManifest {
  body: Buffer;
  contentType: string | undefined;
  digest: string;
}

/**
 * One upstream registry as a client sees it: requests under its base URL, signed in the way it
 * challenges (Basic, or a Bearer token from its realm per repository scope, kept until it expires),
 * with the login presented only where `mayPresent` allows. Every request goes through `Outbound`.
 */
export class Upstream {
  private readonly tokens = new Map<string, { token: string; expires: number }>();
  private basic = false;

  constructor(
    /** `https://host[:port][/prefix]`, without a trailing slash. */
    readonly base: string,
    private readonly identity: UpstreamIdentity,
    private readonly outbound: Outbound,
    /** Bounds the wait for an answer's headers (not a blob's body). */
    private readonly timeoutMs: number,
  ) {}

  get origin(): string {
    return new URL(this.base).origin;
  }

  private url(path: string): URL {
    return new URL(`${this.base}/v2/${path}`);
  }

  /** The digest a tag points to now (HEAD), or undefined when the upstream does not say. */
  async headManifest(repository: string, reference: string): Promise<string | undefined> {
    const res = await this.send(repository, this.url(`${repository}/manifests/${reference}`), 'HEAD', {
      Accept: manifestMediaTypes.join(', '),
    });
    res.close();
    const digest = res.headers['docker-content-digest'];
    return typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : undefined;
  }

  /** A manifest's bytes (at most `limit`), checked against the digest asked for or announced. */
  async getManifest(repository: string, reference: string, limit: number): Promise<UpstreamManifest> {
    const res = await this.send(repository, this.url(`${repository}/manifests/${reference}`), 'GET', {
      Accept: manifestMediaTypes.join(', '),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit)
          throw new UpstreamError('invalid', `${this.origin}: manifest larger than ${limit} bytes`);
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      throw new UpstreamError('unavailable', `${this.origin}: the manifest's answer broke off`);
    } finally {
      res.close();
    }
    const body = Buffer.concat(chunks);
    const digest = digestOf(body);
    const expected = reference.startsWith('sha256:') ? reference : res.headers['docker-content-digest'];
    if (typeof expected === 'string' && expected.startsWith('sha256:') && expected !== digest) {
      throw new UpstreamError('invalid', `${this.origin}: the manifest's bytes do not match ${expected}`);
    }
    const type = res.headers['content-type'];
    return { body, contentType: typeof type === 'string' ? type.split(';')[0]!.trim() : undefined, digest };
  }

  /** A blob's size (HEAD). */
  async headBlob(repository: string, digest: string): Promise<number> {
    const res = await this.send(repository, this.url(`${repository}/blobs/${digest}`), 'HEAD', {});
    res.close();
    const size = Number(res.headers['content-length']);
    if (!Number.isSafeInteger(size) || size < 0)
      throw new UpstreamError('invalid', `${this.origin}: no size for ${digest}`);
    return size;
  }

  /** A blob's bytes as a stream (redirects followed; the login never leaves its origin). */
  blob(repository: string, digest: string): Promise<OutboundStream> {
    return this.send(repository, this.url(`${repository}/blobs/${digest}`), 'GET', {});
  }

  /** One request, signed in as the upstream asks (one retry after a challenge); 2xx or an UpstreamError. */
  private async send(
    repository: string,
    url: URL,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
  ): Promise<OutboundStream> {
    let res = await this.follow(url, method, headers, await this.authorization(repository));
    if (res.status === 401) {
      const challenge = res.headers['www-authenticate'];
      res.close();
      await this.answer(repository, typeof challenge === 'string' ? challenge : '');
      res = await this.follow(url, method, headers, await this.authorization(repository));
      if (res.status === 401) {
        res.close();
        throw this.refused(401);
      }
    }
    if (res.status >= 200 && res.status < 300) return res;
    res.close();
    if (res.status === 404) throw new UpstreamError('not-found', `${this.origin}: not found upstream`);
    if (res.status === 403) throw this.refused(403);
    if (res.status === 429)
      throw new UpstreamError('throttled', `${this.origin} is throttling pulls (HTTP 429)`);
    throw new UpstreamError('unavailable', `upstream ${this.origin} answered HTTP ${res.status}`);
  }

  private refused(status: number): UpstreamError {
    return new UpstreamError(
      'refused',
      `upstream ${this.origin} refused ${this.identity.label} (HTTP ${status})`,
    );
  }

  /** GET or HEAD `url`, following redirects; the authorization goes only to the login's origin. */
  private async follow(
    url: URL,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    authorization: { header: string; login?: UpstreamLogin } | undefined,
  ): Promise<OutboundStream> {
    let next = url;
    for (let hop = 0; ; hop++) {
      // The login, and tokens obtained with it, go only to the upstream's own origin.
      const present =
        authorization !== undefined &&
        next.origin === url.origin &&
        (!authorization.login || mayPresent(authorization.login.registry, next));
      const res = await this.open(
        next,
        method,
        present ? { ...headers, Authorization: authorization.header } : headers,
      );
      const location = res.headers.location;
      if (res.status < 300 || res.status >= 400 || typeof location !== 'string') return res;
      res.close();
      if (hop >= maxRedirects)
        throw new UpstreamError('unavailable', `${this.origin}: more than ${maxRedirects} redirects`);
      next = new URL(location, next);
    }
  }

  private async open(url: URL, method: 'GET' | 'HEAD', headers: Record<string, string>) {
    try {
      return await this.outbound.stream(url, { method, headers, timeoutMs: this.timeoutMs });
    } catch (err) {
      const why = err instanceof OutboundError ? err.message : 'unreachable';
      throw new UpstreamError('unavailable', `upstream ${url.origin} is not available: ${why}`);
    }
  }

  private async authorization(
    repository: string,
  ): Promise<{ header: string; login?: UpstreamLogin } | undefined> {
    const token = this.tokens.get(repository);
    if (token && token.expires > Date.now()) return { header: `Bearer ${token.token}` };
    if (!this.basic) return undefined;
    const login = await this.identity.login();
    return login && { header: basicOf(login), login };
  }

  /** Take up a challenge: Basic with the login, or a token for the repository's pull scope. */
  private async answer(repository: string, header: string): Promise<void> {
    const { scheme, params } = parseChallenge(header);
    const login = await this.identity.login();
    if (scheme === 'basic') {
      if (!login || !mayPresent(login.registry, new URL(this.base + '/'))) throw this.refused(401);
      this.basic = true;
      return;
    }
    if (scheme !== 'bearer' || !params.realm) throw this.refused(401);
    let realm: URL;
    try {
      realm = new URL(params.realm);
    } catch {
      throw new UpstreamError('invalid', `${this.origin} names no usable token service`);
    }
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', `repository:${repository}:pull`);
    const trusted =
      login &&
      (mayPresent(login.registry, realm) || (login.realm !== undefined && mayPresent(login.realm, realm)));
    let answer;
    try {
      answer = await this.outbound.request(realm, {
        headers: { Accept: 'application/json', ...(trusted ? { Authorization: basicOf(login) } : {}) },
        timeoutMs: this.timeoutMs,
        maxBodyBytes: 64 * 1024,
      });
    } catch (err) {
      const why = err instanceof OutboundError ? err.message : 'unreachable';
      throw new UpstreamError('unavailable', `token service ${realm.origin} is not available: ${why}`);
    }
    if (answer.status === 401 || answer.status === 403) throw this.refused(answer.status);
    let body: { token?: string; access_token?: string; expires_in?: number } = {};
    try {
      body = JSON.parse(answer.body.toString('utf8')) as typeof body;
    } catch {
      // no token: below
    }
    const token = body.token ?? body.access_token;
    if (answer.status !== 200 || !token)
      throw new UpstreamError('unavailable', `token service ${realm.origin} answered HTTP ${answer.status}`);
    const lifetime = Math.max(10, Number(body.expires_in) || 60) * 1000;
    this.tokens.set(repository, { token, expires: Date.now() + lifetime * 0.9 });
    if (this.tokens.size > maxTokens) this.tokens.delete(this.tokens.keys().next().value!);
  }
}

function basicOf(login: UpstreamLogin): string {
  return `Basic ${Buffer.from(`${login.username ?? ''}:${login.secret}`).toString('base64')}`;
}
