import { setImmediate as nextTurn } from 'node:timers/promises';
import { AppError } from '../errors/index.js';

/** What one query may cost once parsed (config `catalog.query`). */
export interface ScanLimits {
  /** Candidate entries a query may read and match (catalog.query.maxscan). */
  maxScan: number;
  /** Milliseconds a query may take (catalog.query.timeout). */
  timeout: number;
}

export const defaultScanLimits: ScanLimits = { maxScan: 100_000, timeout: 5_000 };

/**
 * Longest the matcher runs before letting other requests in. Well under what a health check or a
 * pull would notice; each pause costs one turn of the event loop.
 */
const sliceMs = 10;

/**
 * The budget of one query's scan. Every candidate is counted before it is parsed and matched;
 * past the limits the query ends with CATALOG_QUERY_TOO_EXPENSIVE (400) naming the limit, and
 * every `sliceMs` the scan yields so that one expensive query never holds the event loop.
 */
export class QueryBudget {
  private examined = 0;
  private readonly started: number;
  private sliceStarted: number;

  constructor(
    private readonly limits: ScanLimits,
    private readonly clock: () => number = performance.now.bind(performance),
  ) {
    this.started = this.sliceStarted = clock();
  }

  /** Count one candidate. True when the caller should `pause()` before going on. */
  examine(): boolean {
    if (++this.examined > this.limits.maxScan) {
      throw tooExpensive(
        `the query examined more than ${this.limits.maxScan} candidate entries (catalog.query.maxscan)`,
      );
    }
    const now = this.clock();
    this.check(now);
    return now - this.sliceStarted >= sliceMs;
  }

  /** Throw when the query has run out of time (also between pages and planning steps). */
  check(now = this.clock()): void {
    if (now - this.started > this.limits.timeout) {
      throw tooExpensive(
        `the query ran longer than ${this.limits.timeout} ms (catalog.query.timeout) after examining ${this.examined} candidate entries`,
      );
    }
  }

  /** Let the event loop serve other requests, then go on. */
  async pause(): Promise<void> {
    await nextTurn();
    this.sliceStarted = this.clock();
    this.check(this.sliceStarted);
  }
}

const hint =
  '; narrow it with conditions on indexed fields (container_registry_id, _name, _tags, _public_url, ' +
  '_image_prefix, _storage_info.registry_type or .storage_type) or page with limit and skip';

function tooExpensive(message: string): AppError {
  return new AppError('CATALOG_QUERY_TOO_EXPENSIVE', message + hint);
}
