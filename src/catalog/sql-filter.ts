import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Condition, Filter } from './filter.js';
import { entryFields } from './entry.js';
import { pathText } from './paths.js';

/**
 * A filter compiled to SQL over `catalog_entries`: `where` selects a superset of the matching
 * entries; when `exact`, exactly them (no need to run the matcher over the rows).
 */
export interface SqlFilter {
  where: RawBuilder<SqlBool>;
  exact: boolean;
}

/** A SQL condition, or a constant when the answer is known without looking at a row. */
type Part = { sql: RawBuilder<SqlBool> | boolean; exact: boolean };

/** Paths that are a string column of catalog_entries, present in every entry. */
export const scalarColumns: Record<string, string> = {
  container_registry_id: 'id',
  container_registry_name: 'name',
  container_registry_public_url: 'public_url',
  container_registry_image_prefix: 'image_prefix',
  'container_registry_storage_info.registry_type': 'registry_type',
  'container_registry_storage_info.storage_type': 'storage_type',
};

/** Paths every normalized entry has. */
const alwaysPresent = new Set<string>([
  ...entryFields,
  'container_registry_storage_info.storage_type',
  'container_registry_storage_info.storage_size',
  'container_registry_storage_info.memory_size',
  'container_registry_storage_info.registry_type',
]);

const TRUE: Part = { sql: true, exact: true };
const FALSE: Part = { sql: false, exact: true };
/** Not expressible in SQL: every row is a candidate and the matcher decides. */
const RESIDUAL: Part = { sql: true, exact: false };

export function compileFilter(filter: Filter): SqlFilter {
  const part = compile(filter);
  return { where: toSql(part.sql), exact: part.exact };
}

function toSql(value: RawBuilder<SqlBool> | boolean): RawBuilder<SqlBool> {
  if (value === true) return sql<SqlBool>`1 = 1`;
  if (value === false) return sql<SqlBool>`1 = 0`;
  return value;
}

function compile(filter: Filter): Part {
  switch (filter.kind) {
    case 'and':
      return and(filter.of.map(compile));
    case 'or':
      return or(filter.of.map(compile));
    case 'nor':
      return not(or(filter.of.map(compile)));
    case 'field':
      return and(filter.conditions.map((c) => compileCondition(pathText(filter.path), c)));
  }
}

function and(parts: Part[]): Part {
  const exact = parts.every((p) => p.exact);
  if (parts.some((p) => p.sql === false && p.exact)) return FALSE;
  const terms = parts.map((p) => p.sql).filter((s): s is RawBuilder<SqlBool> => s !== true);
  if (terms.length === 0) return { sql: true, exact };
  if (terms.length === 1) return { sql: terms[0]!, exact };
  return { sql: sql<SqlBool>`(${sql.join(terms, sql` and `)})`, exact };
}

function or(parts: Part[]): Part {
  const exact = parts.every((p) => p.exact);
  if (parts.some((p) => p.sql === true && p.exact)) return TRUE;
  if (parts.some((p) => p.sql === true)) return RESIDUAL;
  const terms = parts.map((p) => p.sql).filter((s): s is RawBuilder<SqlBool> => s !== false);
  if (terms.length === 0) return { sql: false, exact };
  if (terms.length === 1) return { sql: terms[0]!, exact };
  return { sql: sql<SqlBool>`(${sql.join(terms, sql` or `)})`, exact };
}

/** Negating a superset gives nothing sound: only exact parts are negated in SQL. */
function not(part: Part): Part {
  if (!part.exact) return RESIDUAL;
  if (typeof part.sql === 'boolean') return { sql: !part.sql, exact: true };
  return { sql: sql<SqlBool>`not (${part.sql})`, exact: true };
}

function compileCondition(path: string, c: Condition): Part {
  if (c.op === '$exists' && alwaysPresent.has(path)) return c.value ? TRUE : FALSE;
  const column = scalarColumns[path];
  if (column !== undefined) return scalar(column, c);
  if (path === 'container_registry_tags') return tags(c);
  return RESIDUAL;
}

const strings = (values: unknown[]): string[] => values.filter((v): v is string => typeof v === 'string');

/** A non-null string column: only string operands can equal or compare with it. */
function scalar(column: string, c: Condition): Part {
  const ref = sql.ref(column);
  switch (c.op) {
    case '$eq':
      return typeof c.value === 'string' ? { sql: sql<SqlBool>`${ref} = ${c.value}`, exact: true } : FALSE;
    case '$ne':
      return not(scalar(column, { op: '$eq', value: c.value }));
    case '$in': {
      const values = strings(c.values);
      if (values.length === 0) return FALSE;
      return { sql: sql<SqlBool>`${ref} in (${sql.join(values)})`, exact: true };
    }
    case '$nin':
      return not(scalar(column, { op: '$in', values: c.values }));
    case '$all':
      if (c.values.length === 0) return FALSE;
      return and(c.values.map((value) => scalar(column, { op: '$eq', value })));
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      if (typeof c.value !== 'string') return FALSE;
      const op = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[c.op];
      return { sql: sql<SqlBool>`${ref} ${sql.raw(op)} ${c.value}`, exact: true };
    }
    case '$exists':
      return c.value ? TRUE : FALSE;
    case '$size':
    case '$elemMatch':
      return FALSE;
    case '$regex':
      return RESIDUAL;
    case '$not':
      return not(and(c.conditions.map((k) => scalar(column, k))));
  }
}

function hasTag(values: string[]): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.ref('id')} in (select ${sql.ref('entry_id')} from ${sql.table('catalog_entry_tags')} where ${sql.ref('tag')} in (${sql.join(values)}))`;
}

/** The tags array, through the tag table: membership compiles, the rest is the matcher's. */
function tags(c: Condition): Part {
  switch (c.op) {
    case '$eq':
      if (Array.isArray(c.value)) return RESIDUAL;
      return typeof c.value === 'string' ? { sql: hasTag([c.value]), exact: true } : FALSE;
    case '$ne':
      return not(tags({ op: '$eq', value: c.value }));
    case '$in': {
      if (c.values.some(Array.isArray)) return RESIDUAL;
      const values = strings(c.values);
      return values.length === 0 ? FALSE : { sql: hasTag(values), exact: true };
    }
    case '$nin':
      return not(tags({ op: '$in', values: c.values }));
    case '$all':
      if (c.values.length === 0) return FALSE;
      return and(c.values.map((value) => tags({ op: '$eq', value })));
    case '$exists':
      return c.value ? TRUE : FALSE;
    case '$not':
      return not(and(c.conditions.map(tags)));
    default:
      return RESIDUAL;
  }
}
