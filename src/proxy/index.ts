export { openProxy, type OpenedProxy } from './open-proxy.js';
export { PullThrough, type ProxiedBlob } from './pull-through.js';
export { ProxyMetrics, type ProxyStats } from './proxy-metrics.js';
export { defaultTagTtl, type DefaultProxy } from './proxy-caches.js';
