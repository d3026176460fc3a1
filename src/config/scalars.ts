import { z } from 'zod';
import { parseDuration } from './duration.js';

// Scalars reach the schema as strings (numbers keep their written text, environment values are
// raw), so each scalar schema converts from the string by its own type, as registry:2 does.

/** YAML 1.1's boolean words, which registry:2's parser accepts. */
const booleanWords = new Map<string, boolean>([
  ...['true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'y', 'Y', 'on', 'On', 'ON'].map((w) => [w, true] as const),
  ...['false', 'False', 'FALSE', 'no', 'No', 'NO', 'n', 'N', 'off', 'Off', 'OFF'].map(
    (w) => [w, false] as const,
  ),
]);

export const bool = z.preprocess(
  (v) => (typeof v === 'string' ? (booleanWords.get(v) ?? v) : v),
  z.boolean(),
);

export const int = (min = 0) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : v),
    z.number().int().min(min).max(Number.MAX_SAFE_INTEGER),
  );

export const str = z.preprocess((v) => (typeof v === 'boolean' ? String(v) : v), z.string());

/** A Go duration string, or nanoseconds; milliseconds out. */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const positiveDuration = duration.refine((ms) => ms > 0, { message: 'expected a duration above 0' });
