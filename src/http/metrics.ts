import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/** The server's Prometheus metrics. */
export class HttpMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;

  /** `more`: metrics other rooms keep (the storage layer's), exposed here too. */
  constructor(uploadsInProgress: () => Promise<number>, more: readonly Metric[] = []) {
    collectDefaultMetrics({ register: this.registry, prefix: 'arca_' });
    for (const metric of more) this.registry.registerMetric(metric);
    this.requests = new Counter({
      name: 'arca_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'arca_http_request_duration_seconds',
      help: 'HTTP request latency by route and method',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.bytesIn = new Counter({
      name: 'arca_http_received_bytes_total',
      help: 'Bytes received from clients',
      registers: [this.registry],
    });
    this.bytesOut = new Counter({
      name: 'arca_http_sent_bytes_total',
      help: 'Bytes sent to clients',
      registers: [this.registry],
    });
    new Gauge({
      name: 'arca_uploads_in_progress',
      help: 'Blob upload sessions open',
      registers: [this.registry],
      async collect() {
        this.set(await uploadsInProgress());
      },
    });
  }
}
