import { DEFAULT_REGISTRY } from '../access/index.js';
import type { CredentialService } from '../credentials/index.js';
import type { Outbound } from '../net/index.js';
import type { RegistryDirectory } from '../registries/index.js';
import { Upstream } from './upstream.js';
import type { UpstreamIdentity, UpstreamLogin } from './upstream-login.js';

/** registry:2's `proxy` section: the default registry as a cache. */
export interface DefaultProxy {
  remoteurl: string;
  username?: string;
  password?: string;
  /** ms */
  ttl: number;
}

/** A proxy registry as the pull path uses it. */
export interface ProxyCache {
  /** The registry's key (`dockerhub`, or `default`). */
  registry: string;
  upstream: Upstream;
  /** How long a tag's upstream answer is trusted, ms. */
  ttl: number;
  /** The upstream's name of a repository: without the registry's path segment. */
  upstreamName(repository: string): string;
}

/** The default TTL of a tag for a proxy registry that names none. */
export const defaultTagTtl = 5 * 60_000;
/** A login read from the credentials is reused this long (a replaced one is seen after it). */
const loginTtl = 10_000;

/**
 * Which repositories are pull-through caches and of what: the registries whose row names an
 * upstream, and the default registry when registry:2's `proxy` section is set. One `Upstream` per
 * registry (its tokens) is kept while its address and credential stay the same.
 */
export class ProxyCaches {
  private readonly caches = new Map<string, { spec: string; cache: ProxyCache }>();

  constructor(
    private readonly registries: Pick<RegistryDirectory, 'registryOf' | 'row'>,
    private readonly credentials: Pick<CredentialService, 'open'>,
    private readonly outbound: Outbound,
    private readonly defaultProxy: DefaultProxy | undefined,
  ) {}

  /** The cache a repository belongs to, or undefined when its registry is not a proxy. */
  cacheOf(repository: string): ProxyCache | undefined {
    const { registry } = this.registries.registryOf(repository);
    if (registry === DEFAULT_REGISTRY) {
      const d = this.defaultProxy;
      if (!d) return undefined;
      return this.memo(registry, `${d.remoteurl}\0${d.username ?? ''}`, () => ({
        registry,
        ttl: d.ttl,
        upstream: this.upstream(d.remoteurl.replace(/\/+$/, ''), {
          label: d.username !== undefined ? `proxy.username '${d.username}'` : 'no credential',
          login: async () =>
            d.username !== undefined
              ? { registry: d.remoteurl, username: d.username, secret: d.password ?? '' }
              : undefined,
        }),
        upstreamName: (name) => name,
      }));
    }
    const row = this.registries.row(registry);
    if (!row?.proxy_url) return undefined;
    const url = row.proxy_url;
    const credential = row.proxy_credential;
    const ttl = row.proxy_ttl === null ? defaultTagTtl : Number(row.proxy_ttl);
    return this.memo(registry, `${url}\0${credential ?? ''}\0${ttl}`, () => ({
      registry,
      ttl,
      upstream: this.upstream(url, this.identity(row.namespace, credential)),
      upstreamName: (name) => name.slice(registry.length + 1),
    }));
  }

  private memo(registry: string, spec: string, build: () => ProxyCache): ProxyCache {
    const known = this.caches.get(registry);
    if (known?.spec === spec) return known.cache;
    const cache = build();
    this.caches.set(registry, { spec, cache });
    return cache;
  }

  private upstream(url: string, identity: UpstreamIdentity): Upstream {
    return new Upstream(url, identity, this.outbound, Math.min(10_000, this.outbound.settings.timeout));
  }

  /** A stored REGISTRY credential, opened when needed and kept a few seconds. */
  private identity(namespace: string, name: string | null): UpstreamIdentity {
    if (name === null) return { label: 'no credential (anonymous)', login: async () => undefined };
    let cached: { at: number; login: UpstreamLogin | undefined } | undefined;
    return {
      label: `credential '${name}'`,
      login: async () => {
        if (cached && Date.now() - cached.at < loginTtl) return cached.login;
        const credential = await this.credentials.open(namespace, name);
        const p = credential?.type === 'REGISTRY' ? credential.payload : undefined;
        const login =
          p?.registry && p.auth
            ? { registry: p.registry, username: p.username, secret: p.auth, realm: p.realm }
            : undefined;
        cached = { at: Date.now(), login };
        return login;
      },
    };
  }
}
