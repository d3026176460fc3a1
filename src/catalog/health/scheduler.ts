import type { Logger } from 'pino';
import type { CatalogService } from '../catalog-service.js';
import type { CatalogEntry } from '../entry.js';

export interface HealthSchedulerOptions {
  /** Milliseconds between rounds; 0 turns periodic checks off. */
  interval: number;
  /** Probes in flight at once. */
  concurrency: number;
  /** Delay before the first round (default: a few seconds, so start-up is not slowed). */
  firstDelay?: number;
}

const pageSize = 500;

/**
 * Checks every catalog entry's health periodically in the background: a round at a time, at most
 * `concurrency` probes in flight, each bounded by the probe timeout. Rounds never overlap; entries
 * another replica checked within the interval are skipped. Nothing here ever blocks a request.
 */
export class HealthScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly catalog: CatalogService,
    private readonly options: HealthSchedulerOptions,
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>,
  ) {}

  start(): void {
    if (this.options.interval <= 0 || this.timer) return;
    const tick = () => {
      if (!this.running) this.running = this.runOnce().finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.options.interval);
    this.timer.unref();
    setTimeout(tick, Math.min(this.options.firstDelay ?? 5_000, this.options.interval)).unref();
  }

  /** Stop the timer, cancel probes in flight and wait for the round to end. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }

  /** One round over every entry that is due. Never throws; returns how many entries were checked. */
  async runOnce(): Promise<number> {
    const started = Date.now();
    // A little slack so a round that started late does not skip entries checked exactly one interval ago.
    const since = started - Math.max(this.options.interval * 0.9, 0);
    let checked = 0;
    let down = 0;
    try {
      let after: string | undefined;
      for (;;) {
        if (this.abort.signal.aborted) break;
        const page = await this.catalog.entriesDue(since, after, pageSize);
        if (page.length === 0) break;
        after = page.at(-1)!.container_registry_id;
        await this.pool(page, async (entry) => {
          const record = await this.catalog.check(entry, this.abort.signal);
          checked++;
          if (record.status === 'down') down++;
        });
        if (page.length < pageSize) break;
      }
      const pruned = await this.catalog.pruneHealth();
      this.log.debug({ checked, down, pruned, ms: Date.now() - started }, 'catalog health round done');
    } catch (err) {
      if (!this.abort.signal.aborted) this.log.error({ err }, 'catalog health round failed');
    }
    return checked;
  }

  private async pool(entries: CatalogEntry[], work: (entry: CatalogEntry) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < entries.length && !this.abort.signal.aborted) {
        const entry = entries[next++]!;
        try {
          await work(entry);
        } catch (err) {
          if (!this.abort.signal.aborted) {
            this.log.warn({ err, entry: entry.container_registry_id }, 'catalog health check failed');
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.concurrency) }, worker));
  }
}
