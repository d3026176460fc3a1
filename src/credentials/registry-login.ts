/** The outcome of trying a credential against the service it is for. */
export interface CredentialTestResult {
  ok: boolean;
  /** What was tried, e.g. `GET https://nvcr.io/v2/`. */
  target: string;
  status_code: number | null;
  message: string;
  latency_ms: number;
}

/** `registry=` as given: a host (`nvcr.io`, `127.0.0.1:5000`) or a URL; https unless a URL says http. */
export function registryBase(registry: string): URL {
  const text = /^https?:\/\//i.test(registry) ? registry : `https://${registry}`;
  const url = new URL(text.endsWith('/') ? text : `${text}/`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`not a registry address: ${registry}`);
  return url;
}

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const scheme = header.split(' ', 1)[0]!.toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(scheme.length).matchAll(/([a-zA-Z_]+)="([^"]*)"/g))
    params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

/**
 * Log in to a registry's `/v2/` the way docker does: Basic credentials, or, when the registry
 * challenges with Bearer, a token from its realm obtained with those credentials. `ok` only when the
 * registry accepts them (an anonymous 200 does not prove a credential).
 */
export async function testRegistryLogin(
  registry: string,
  username: string,
  secret: string,
  timeoutMs: number,
): Promise<CredentialTestResult> {
  const started = performance.now();
  const base = registryBase(registry);
  const v2 = new URL('v2/', base);
  const target = `GET ${v2.href}`;
  const basic = `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
  const signal = AbortSignal.timeout(timeoutMs);
  const done = (ok: boolean, status: number | null, message: string): CredentialTestResult => ({
    ok,
    target,
    status_code: status,
    message,
    latency_ms: Math.round(performance.now() - started),
  });
  try {
    const first = await fetch(v2, { headers: { Authorization: basic }, signal, redirect: 'follow' });
    await first.arrayBuffer();
    if (first.status === 200) return done(true, 200, 'logged in (Basic)');
    const challenge = first.headers.get('www-authenticate');
    if (first.status !== 401 || !challenge)
      return done(false, first.status, `unexpected HTTP ${first.status} from /v2/`);
    const { scheme, params } = parseChallenge(challenge);
    if (scheme !== 'bearer' || !params.realm) return done(false, 401, 'credentials refused');
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set('service', params.service);
    const tokenAnswer = await fetch(realm, { headers: { Authorization: basic }, signal });
    const body = (await tokenAnswer.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!tokenAnswer.ok || !token) {
      return done(
        false,
        tokenAnswer.status,
        `token service ${realm.origin} refused the credentials (HTTP ${tokenAnswer.status})`,
      );
    }
    const second = await fetch(v2, { headers: { Authorization: `Bearer ${token}` }, signal });
    await second.arrayBuffer();
    return second.status === 200
      ? done(true, 200, 'logged in (token)')
      : done(false, second.status, `the registry refused the token (HTTP ${second.status})`);
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    const message = signal.aborted
      ? `no answer within ${timeoutMs} ms`
      : (cause?.message ?? (err as Error).message);
    return done(false, null, `cannot reach ${base.host}: ${message}`);
  }
}
