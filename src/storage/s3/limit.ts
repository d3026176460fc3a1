/** Run `fn` over `items` with at most `limit` at once; results in order; the first failure rejects. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(limit, 1), items.length) }, worker));
  return results;
}

/** A count of things to lend (e.g. spare part buffers), taken without waiting or not at all. */
export class Budget {
  private left: number;

  constructor(size: number) {
    this.left = size;
  }

  take(): boolean {
    if (this.left <= 0) return false;
    this.left -= 1;
    return true;
  }

  give(): void {
    this.left += 1;
  }
}

/**
 * Part-sized buffers kept for the next append, so a stream of chunk requests does not allocate a
 * part each time and leave it to the garbage collector. Holds at most `maxIdleBytes` idle.
 */
export class BufferPool {
  private readonly idle = new Map<number, Buffer[]>();
  private idleBytes = 0;

  constructor(private readonly maxIdleBytes: number) {}

  take(size: number): Buffer {
    const buffer = this.idle.get(size)?.pop();
    if (!buffer) return Buffer.allocUnsafe(size);
    this.idleBytes -= size;
    return buffer;
  }

  /** Only once nothing (a request body, a socket) refers to the buffer any more. */
  give(buffer: Buffer): void {
    if (this.idleBytes + buffer.length > this.maxIdleBytes) return;
    const list = this.idle.get(buffer.length) ?? [];
    list.push(buffer);
    this.idle.set(buffer.length, list);
    this.idleBytes += buffer.length;
  }
}
