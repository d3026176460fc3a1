import { Counter, type Metric } from 'prom-client';

/** A proxy registry's counters since this process started. */
export interface ProxyStats {
  hits: number;
  misses: number;
  upstream_bytes: number;
  upstream_errors: number;
}

/**
 * Per proxy registry: requests answered from the cache (hits), requests that went upstream
 * (misses), bytes read from the upstream, and upstream failures. On /metrics (prom-client) and, as
 * numbers, in the registry's view (`arca registry show`).
 */
export class ProxyMetrics {
  private readonly hits = new Counter({
    name: 'arca_proxy_hits_total',
    help: 'Pull-through cache requests answered from the cache, by registry',
    labelNames: ['registry'],
    registers: [],
  });
  private readonly misses = new Counter({
    name: 'arca_proxy_misses_total',
    help: 'Pull-through cache requests that went to the upstream, by registry',
    labelNames: ['registry'],
    registers: [],
  });
  private readonly bytes = new Counter({
    name: 'arca_proxy_upstream_bytes_total',
    help: 'Blob bytes read from the upstream, by registry',
    labelNames: ['registry'],
    registers: [],
  });
  private readonly errors = new Counter({
    name: 'arca_proxy_upstream_errors_total',
    help: 'Upstream requests that failed (unreachable, refused, 5xx), by registry',
    labelNames: ['registry'],
    registers: [],
  });
  private readonly totals = new Map<string, ProxyStats>();

  get metrics(): Metric[] {
    return [this.hits, this.misses, this.bytes, this.errors];
  }

  private of(registry: string): ProxyStats {
    let stats = this.totals.get(registry);
    if (!stats) {
      stats = { hits: 0, misses: 0, upstream_bytes: 0, upstream_errors: 0 };
      this.totals.set(registry, stats);
    }
    return stats;
  }

  hit(registry: string): void {
    this.hits.inc({ registry });
    this.of(registry).hits++;
  }

  miss(registry: string): void {
    this.misses.inc({ registry });
    this.of(registry).misses++;
  }

  upstreamBytes(registry: string, n: number): void {
    this.bytes.inc({ registry }, n);
    this.of(registry).upstream_bytes += n;
  }

  upstreamError(registry: string): void {
    this.errors.inc({ registry });
    this.of(registry).upstream_errors++;
  }

  stats(registry: string): ProxyStats {
    return { ...this.of(registry) };
  }
}
