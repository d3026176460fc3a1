/** How long a failed job waits before its next attempt: doubling from `base`, at most `max`. */
export interface Backoff {
  base: number;
  max: number;
}

/** The wait after the `attempt`th failure (1 for the first): base, 2·base, 4·base, … capped at max. */
export function backoffDelay(backoff: Backoff, attempt: number): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 40));
  return Math.min(backoff.max, backoff.base * 2 ** exponent);
}
