const unitsMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go duration ('300ms', '10s', '1h30m', '168h') in milliseconds. A bare number is nanoseconds,
 * as a YAML integer is for registry:2's time.Duration fields.
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new Error(`invalid duration ${text}`);
    return text / 1e6;
  }
  const value = text.trim();
  if (value === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let position = 0;
  while (position < value.length) {
    part.lastIndex = position;
    const m = part.exec(value);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(text)} (expected e.g. 10s, 1h30m)`);
    total += Number(m[1]) * unitsMs[m[2]!]!;
    position = part.lastIndex;
  }
  if (value.length === 0) throw new Error('invalid duration ""');
  return total;
}
