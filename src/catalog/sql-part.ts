import { sql, type RawBuilder, type SqlBool } from 'kysely';

/**
 * One compiled piece of a filter: a SQL condition, or a constant when the answer is known without
 * looking at a row. `exact` when it selects exactly the matching entries, else a superset of them.
 */
export type Part = { sql: RawBuilder<SqlBool> | boolean; exact: boolean };

export const TRUE: Part = { sql: true, exact: true };
export const FALSE: Part = { sql: false, exact: true };
/** Not expressible in SQL: every row is a candidate and the matcher decides. */
export const RESIDUAL: Part = { sql: true, exact: false };

export function toSql(value: RawBuilder<SqlBool> | boolean): RawBuilder<SqlBool> {
  if (value === true) return sql<SqlBool>`1 = 1`;
  if (value === false) return sql<SqlBool>`1 = 0`;
  return value;
}

/**
 * Terms joined as a balanced tree, `((a or b) or (c or d))`: a flat `a or b or …` parses n levels
 * deep, and SQLite refuses expressions deeper than 1,000 ("Expression tree is too large").
 */
export function balanced(terms: RawBuilder<SqlBool>[], op: 'and' | 'or'): RawBuilder<SqlBool> {
  if (terms.length === 1) return terms[0]!;
  const half = terms.length >> 1;
  return sql<SqlBool>`(${balanced(terms.slice(0, half), op)} ${sql.raw(op)} ${balanced(terms.slice(half), op)})`;
}

export function and(parts: Part[]): Part {
  const exact = parts.every((p) => p.exact);
  if (parts.some((p) => p.sql === false && p.exact)) return FALSE;
  return joined(parts, 'and', exact);
}

export function or(parts: Part[]): Part {
  const exact = parts.every((p) => p.exact);
  if (parts.some((p) => p.sql === true && p.exact)) return TRUE;
  if (parts.some((p) => p.sql === true)) return RESIDUAL;
  return joined(parts, 'or', exact);
}

/** Negating a superset gives nothing sound: only exact parts are negated in SQL. */
export function not(part: Part): Part {
  if (!part.exact) return RESIDUAL;
  if (typeof part.sql === 'boolean') return { sql: !part.sql, exact: true };
  return { sql: sql<SqlBool>`not (${part.sql})`, exact: true };
}

/**
 * The parts' conditions joined by `op`, leaving out its neutral constant (true for and, false for
 * or); none left is that constant.
 */
function joined(parts: Part[], op: 'and' | 'or', exact: boolean): Part {
  const neutral = op === 'and';
  const terms = parts.map((p) => p.sql).filter((s): s is RawBuilder<SqlBool> => s !== neutral);
  if (terms.length === 0) return { sql: neutral, exact };
  if (terms.length === 1) return { sql: terms[0]!, exact };
  return { sql: balanced(terms, op), exact };
}
