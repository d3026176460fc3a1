const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** One `<number><unit>` term of a Go duration; Go accepts '1.5h', '.5s' and '1.s'. */
const term = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * A Go duration ('300ms', '10s', '1h30m', '168h', as registry:2's time.Duration fields take) in
 * milliseconds. A number is nanoseconds, as a YAML integer is for those fields. Negative durations
 * are refused: no setting of Arca has a use for one.
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new Error(`invalid duration ${text}`);
    return text / 1e6;
  }
  const value = text.trim().replace(/^\+/, '');
  if (value === '0') return 0;
  if (value === '') throw new Error('invalid duration ""');
  let total = 0;
  let position = 0;
  while (position < value.length) {
    term.lastIndex = position;
    const m = term.exec(value);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(text)} (expected e.g. 10s, 1h30m)`);
    total += Number(m[1]) * unitMs[m[2]!]!;
    position = term.lastIndex;
  }
  return total;
}
