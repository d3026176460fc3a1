import type { Logger } from 'pino';
import type { ArcaConfig } from '../config/index.js';
import type { CredentialService } from '../credentials/index.js';
import type { Outbound } from '../net/index.js';
import type { Distribution } from '../oci/index.js';
import type { RegistryDirectory } from '../registries/index.js';
import { ProxyCaches } from './proxy-caches.js';
import { ProxyMetrics } from './proxy-metrics.js';
import { PullThrough } from './pull-through.js';

export interface OpenedProxy {
  pullThrough: PullThrough;
  metrics: ProxyMetrics;
}

/**
 * Pull-through caches: every registry whose row names an upstream, and the default registry when
 * registry:2's `proxy` section is set. Always wired (a proxy registry can be created at any time);
 * it costs a map lookup per /v2 request of any other registry.
 */
export function openProxy(deps: {
  config: ArcaConfig;
  registries: RegistryDirectory;
  credentials: CredentialService;
  outbound: Outbound;
  distribution: Distribution;
  log: Logger;
}): OpenedProxy {
  const { config, registries } = deps;
  const caches = new ProxyCaches(registries, deps.credentials, deps.outbound, config.proxy);
  const metrics = new ProxyMetrics();
  const pullThrough = new PullThrough(
    caches,
    deps.distribution,
    registries,
    metrics,
    deps.log.child({ room: 'proxy' }),
    config.limits.manifestsize,
  );
  if (config.proxy) {
    deps.log.info(
      { remoteurl: config.proxy.remoteurl, ttl: config.proxy.ttl },
      'the default registry is a pull-through cache (proxy section)',
    );
  }
  return { pullThrough, metrics };
}
