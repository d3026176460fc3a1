import assert from 'node:assert/strict';

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between two looks. Default 50 ms. */
  intervalMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Look with `probe` until `done` accepts what it sees or `timeoutMs` has passed; returns the last
 * look either way, for the caller to assert on (so a failure shows what was seen).
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  done: (seen: T) => boolean,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const seen = await probe();
    if (done(seen) || Date.now() >= deadline) return seen;
    await sleep(opts.intervalMs ?? 50);
  }
}

/** Fails with `what` unless `check` comes true within `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  opts: WaitOptions,
): Promise<void> {
  if (!(await waitFor(check, (ok) => ok, opts))) assert.fail(what);
}
