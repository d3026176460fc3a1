/**
 * At most `limit` tasks at once, at most `maxQueued` waiting; beyond that `run` fails at once with
 * the error `full()` makes, so a flood is refused instead of queueing without bound.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most tasks ever run at once (for tests and metrics). */
  peak = 0;

  constructor(
    private readonly limit: number,
    private readonly maxQueued: number,
    private readonly full: () => Error,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      if (this.waiting.length >= this.maxQueued) throw this.full();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    this.peak = Math.max(this.peak, this.active);
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
