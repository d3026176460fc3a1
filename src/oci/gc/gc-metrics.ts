import { Counter, type Metric } from 'prom-client';

/** What garbage collection reclaimed, for Prometheus (the server's /metrics shows them). */
export class GcMetrics {
  readonly bytes = new Counter({
    name: 'arca_gc_reclaimed_bytes_total',
    help: 'Blob bytes garbage collection deleted from storage (a copy per location)',
    registers: [],
  });
  readonly blobs = new Counter({
    name: 'arca_gc_reclaimed_blobs_total',
    help: 'Blob copies garbage collection deleted from storage (one per location)',
    registers: [],
  });
  readonly manifests = new Counter({
    name: 'arca_gc_reclaimed_manifests_total',
    help: 'Manifests garbage collection deleted',
    registers: [],
  });
  readonly stagingObjects = new Counter({
    name: 'arca_gc_reclaimed_staging_objects_total',
    help: 'Abandoned browser-upload staging objects garbage collection deleted',
    registers: [],
  });

  get metrics(): Metric[] {
    return [this.bytes, this.blobs, this.manifests, this.stagingObjects];
  }
}
