import {
  mayPresent,
  OutboundError,
  parseChallenge,
  registryBase,
  type Outbound,
  type OutboundResponse,
} from '../net/index.js';

/** The outcome of trying a credential against the service it is for. */
export interface CredentialTestResult {
  ok: boolean;
  /** What was tried, e.g. `GET https://nvcr.io/v2/`. */
  target: string;
  status_code: number | null;
  message: string;
  latency_ms: number;
}

/** A REGISTRY credential's payload: where it is for, and what it presents. */
export interface RegistryLogin {
  /** `registry=`: the only origin the secret is sent to. */
  registry: string;
  username?: string;
  auth: string;
  /** `realm=`: a token service on another origin the owner of the credential trusts with it. */
  realm?: string;
}

const maxRedirects = 3;

/**
 * Log in to a registry's `/v2/` the way docker does: Basic credentials, or, when the registry
 * challenges with Bearer, a token from its realm obtained with those credentials. `ok` only when the
 * registry accepts them (an anonymous 200 does not prove a credential).
 *
 * The secret goes only to the origin (scheme, host, port) of `registry=`: a redirect elsewhere is
 * not followed, and a token realm elsewhere gets it only when the credential names that realm
 * (`realm=`, e.g. https://auth.docker.io/token for Docker Hub).
 */
export async function testRegistryLogin(
  outbound: Outbound,
  login: RegistryLogin,
  timeoutMs: number,
): Promise<CredentialTestResult> {
  const started = performance.now();
  const base = registryBase(login.registry);
  const v2 = new URL('v2/', base);
  const target = `GET ${v2.href}`;
  const basic = `Basic ${Buffer.from(`${login.username ?? ''}:${login.auth}`).toString('base64')}`;
  const signal = AbortSignal.timeout(timeoutMs);
  const done = (ok: boolean, status: number | null, message: string): CredentialTestResult => ({
    ok,
    target,
    status_code: status,
    message,
    latency_ms: Math.round(performance.now() - started),
  });
  const remaining = () => Math.max(1, timeoutMs - (performance.now() - started));

  /** GET `url` with `authorization`, following redirects only within the credential's origin. */
  const get = async (url: URL, authorization: string): Promise<OutboundResponse | string> => {
    let next = url;
    for (let hop = 0; ; hop++) {
      const answer = await outbound.request(next, {
        headers: { Authorization: authorization, Accept: 'application/json' },
        timeoutMs: remaining(),
        signal,
      });
      const location = answer.headers.location;
      if (answer.status < 300 || answer.status >= 400 || !location) return answer;
      const moved = new URL(location, next);
      if (!mayPresent(login.registry, moved)) {
        return `redirected to ${moved.origin}, another origin than the credential's: not followed with the credential`;
      }
      if (hop >= maxRedirects) return `more than ${maxRedirects} redirects`;
      next = moved;
    }
  };

  try {
    const first = await get(v2, basic);
    if (typeof first === 'string') return done(false, null, first);
    if (first.status === 200) return done(true, 200, 'logged in (Basic)');
    const challenge = first.headers['www-authenticate'];
    if (first.status !== 401 || typeof challenge !== 'string')
      return done(false, first.status, `unexpected HTTP ${first.status} from /v2/`);
    const { scheme, params } = parseChallenge(challenge);
    if (scheme !== 'bearer' || !params.realm) return done(false, 401, 'credentials refused');
    let realm: URL;
    try {
      realm = new URL(params.realm);
    } catch {
      return done(false, 401, 'the registry names no usable token service');
    }
    if (!mayPresent(login.registry, realm) && !(login.realm && mayPresent(login.realm, realm))) {
      return done(
        false,
        401,
        `the token service ${realm.origin} is another origin than the credential's: the credential was not sent there (store realm=${realm.origin}${realm.pathname} with the credential to trust it)`,
      );
    }
    if (params.service) realm.searchParams.set('service', params.service);
    const tokenAnswer = await outbound.request(realm, {
      headers: { Authorization: basic, Accept: 'application/json' },
      timeoutMs: remaining(),
      signal,
    });
    let body: { token?: string; access_token?: string } = {};
    try {
      body = JSON.parse(tokenAnswer.body.toString('utf8')) as typeof body;
    } catch {
      // Not JSON: no token, reported below.
    }
    const token = body.token ?? body.access_token;
    if (tokenAnswer.status !== 200 || !token) {
      return done(
        false,
        tokenAnswer.status,
        `token service ${realm.origin} refused the credentials (HTTP ${tokenAnswer.status})`,
      );
    }
    const second = await get(v2, `Bearer ${token}`);
    if (typeof second === 'string') return done(false, null, second);
    return second.status === 200
      ? done(true, 200, 'logged in (token)')
      : done(false, second.status, `the registry refused the token (HTTP ${second.status})`);
  } catch (err) {
    const message = err instanceof OutboundError ? err.message : 'unreachable';
    const hint =
      err instanceof OutboundError && err.kind === 'tls' && !/^https?:\/\//i.test(login.registry.trim())
        ? ` (a plain-HTTP registry is stored as registry=http://${base.host})`
        : '';
    return done(false, null, `cannot reach ${base.host}: ${message}${hint}`);
  }
}
