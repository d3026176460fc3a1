import { RE2JS } from 're2js';
import { AppError } from '../errors/index.js';
import { typeName } from './json.js';

/**
 * A `$regex` compiled for RE2 (the `re2js` port): it never backtracks, so testing a value takes time
 * linear in the value's length times the pattern's program size. A query's pattern comes from any
 * Reader, so JavaScript's backtracking RegExp (`^((.+)+)+Z$` runs for ever) is never used here.
 */
export interface Regex {
  /** Whether the pattern matches anywhere in `value` (unanchored, like MongoDB's `$regex`). */
  test(value: string): boolean;
}

/** Longest pattern accepted, in characters. */
export const maxRegexLength = 1000;
/**
 * Most work one test may do: program size × value length. RE2 is linear, but its constant grows
 * with the program (about 13 ns per instruction and character in the worst case measured, Unicode
 * classes on the NFA), so a 1,000-instruction pattern over a 1 MB metadata string would still hold
 * the event loop for seconds. 2^25 keeps any single test well under half a second.
 */
export const maxRegexWork = 2 ** 25;

/** MongoDB's `$options` and RE2's flags. `u` is accepted as a no-op: RE2 always matches by code point. */
const flagBits: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0,
};

function invalid(message: string): AppError {
  return new AppError('CATALOG_REQUEST_INVALID', message);
}

/** Why RE2 refused a pattern, in the caller's terms: what Perl/JS syntax it has that RE2 lacks. */
function reason(pattern: string, message: string): string {
  const why = message.replace(/^error parsing regexp: /, '');
  if (/\\[1-9k]/.test(pattern) && /invalid escape sequence: `\\[1-9k]/.test(why)) {
    return `${why} (backreferences are not supported: patterns use RE2 syntax, which runs in linear time)`;
  }
  if (/\(\?<?[=!]/.test(pattern)) {
    return `${why} (lookahead and lookbehind are not supported: patterns use RE2 syntax, which runs in linear time)`;
  }
  return why;
}

/** Compile `$regex` with its `$options`; every refusal is a 400 naming what is wrong. */
export function compileRegex(pattern: unknown, options: unknown, where: string): Regex {
  if (typeof pattern !== 'string') {
    throw invalid(`${where}: expected a string, got ${typeName(pattern)}`);
  }
  if (pattern.length > maxRegexLength) throw invalid(`${where}: longer than ${maxRegexLength} characters`);
  let flags = 0;
  if (options !== undefined) {
    const unsupported = typeof options === 'string' ? [...options].filter((f) => !(f in flagBits)) : [];
    if (typeof options !== 'string' || unsupported.length > 0) {
      const x = unsupported.includes('x')
        ? ' (x, extended syntax, is not: write the pattern without spaces)'
        : '';
      throw invalid(`${where}: $options may hold only the flags i, m, s and u${x}`);
    }
    for (const f of options) flags |= flagBits[f]!;
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, flags);
  } catch (err) {
    throw invalid(`${where}: invalid regular expression: ${reason(pattern, (err as Error).message)}`);
  }
  const size = re.programSize();
  return {
    test(value: string): boolean {
      if (size * value.length > maxRegexWork) {
        throw new AppError(
          'CATALOG_QUERY_TOO_EXPENSIVE',
          `${where}: a pattern of ${size} instructions over a value of ${value.length} characters ` +
            `is more work than one test may do (${maxRegexWork} instruction-characters); use a simpler pattern`,
        );
      }
      return re.test(value);
    },
  };
}
