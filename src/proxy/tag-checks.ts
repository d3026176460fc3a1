/**
 * When each tag was last asked of its upstream, so a tag is revalidated (one HEAD) at most once per
 * TTL. Bounded: beyond `max` tags the least recently checked are forgotten (they are asked again).
 */
export class TagChecks {
  private readonly checked = new Map<string, number>();

  constructor(private readonly max = 50_000) {}

  /** Whether `key` was checked less than `ttl` ms ago. */
  fresh(key: string, ttl: number, now = Date.now()): boolean {
    const at = this.checked.get(key);
    return at !== undefined && now - at < ttl;
  }

  mark(key: string, now = Date.now()): void {
    this.checked.delete(key);
    this.checked.set(key, now);
    if (this.checked.size > this.max) this.checked.delete(this.checked.keys().next().value!);
  }
}
