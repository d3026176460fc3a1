import { Counter, Histogram, type Metric } from 'prom-client';
import type { StorageKind } from './driver.js';

/** How a storage operation ended. */
export type StorageOutcome = 'ok' | 'not_found' | 'conflict' | 'invalid' | 'error';

/**
 * Storage operations by driver, operation and outcome, and their durations. Registered in no
 * registry of its own: the server's registry takes `metrics` (one set per opened core, so several
 * servers in one process never clash). A read's duration is the time to open it, not to stream it.
 */
export class StorageMetrics {
  readonly operations: Counter<'driver' | 'operation' | 'outcome'>;
  readonly duration: Histogram<'driver' | 'operation'>;

  constructor() {
    this.operations = new Counter({
      name: 'arca_storage_operations_total',
      help: 'Storage operations by driver, operation and outcome',
      labelNames: ['driver', 'operation', 'outcome'],
      registers: [],
    });
    this.duration = new Histogram({
      name: 'arca_storage_operation_duration_seconds',
      help: 'Storage operation latency by driver and operation (reads: until the stream opens)',
      labelNames: ['driver', 'operation'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [],
    });
  }

  /** The metrics, for a Prometheus registry to expose. */
  get metrics(): Metric[] {
    return [this.operations, this.duration];
  }

  record(driver: StorageKind, operation: string, outcome: StorageOutcome, seconds: number): void {
    this.operations.inc({ driver, operation, outcome });
    this.duration.observe({ driver, operation }, seconds);
  }
}
