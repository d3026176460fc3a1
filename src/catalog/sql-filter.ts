import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Dialect } from '../db/index.js';
import type { Condition, Filter } from './filter.js';
import type { Json } from './json.js';
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

export interface CompileOptions {
  /** With a dialect, string equality on unindexed paths narrows by a substring test on the document. */
  dialect?: Dialect;
  /**
   * Tag sets (see `tagSetKey`) known to be rare. SQLite then drives the query from the tag index
   * (`id in (…)`); for common tags it scans in order and probes the tag index per row (`exists`).
   */
  rareTags?: ReadonlySet<string>;
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

const strings = (values: unknown[]): string[] => values.filter((v): v is string => typeof v === 'string');

export function tagSetKey(values: readonly string[]): string {
  return JSON.stringify([...new Set(values)].sort());
}

/** The sets of tags a filter looks up in the tag index (for deciding which are rare). */
export function tagSets(filter: Filter): string[][] {
  const out: string[][] = [];
  const visit = (f: Filter) => {
    if (f.kind !== 'field') return f.of.forEach(visit);
    if (pathText(f.path) !== 'container_registry_tags') return;
    const conditions = (cs: Condition[]) => {
      for (const c of cs) {
        if ((c.op === '$eq' || c.op === '$ne') && typeof c.value === 'string') out.push([c.value]);
        else if (c.op === '$in' || c.op === '$nin') out.push(strings(c.values));
        else if (c.op === '$all') for (const v of strings(c.values)) out.push([v]);
        else if (c.op === '$not') conditions(c.conditions);
      }
    };
    conditions(f.conditions);
  };
  visit(filter);
  return out.filter((set) => set.length > 0);
}

export function compileFilter(filter: Filter, options: CompileOptions = {}): SqlFilter {
  const part = new Compiler(options).compile(filter);
  return { where: toSql(part.sql), exact: part.exact };
}

function toSql(value: RawBuilder<SqlBool> | boolean): RawBuilder<SqlBool> {
  if (value === true) return sql<SqlBool>`1 = 1`;
  if (value === false) return sql<SqlBool>`1 = 0`;
  return value;
}

/**
 * Terms joined as a balanced tree, `((a or b) or (c or d))`: a flat `a or b or …` parses n levels
 * deep, and SQLite refuses expressions deeper than 1,000 ("Expression tree is too large").
 */
function balanced(terms: RawBuilder<SqlBool>[], op: 'and' | 'or'): RawBuilder<SqlBool> {
  if (terms.length === 1) return terms[0]!;
  const half = terms.length >> 1;
  return sql<SqlBool>`(${balanced(terms.slice(0, half), op)} ${sql.raw(op)} ${balanced(terms.slice(half), op)})`;
}

function and(parts: Part[]): Part {
  const exact = parts.every((p) => p.exact);
  if (parts.some((p) => p.sql === false && p.exact)) return FALSE;
  const terms = parts.map((p) => p.sql).filter((s): s is RawBuilder<SqlBool> => s !== true);
  if (terms.length === 0) return { sql: true, exact };
  if (terms.length === 1) return { sql: terms[0]!, exact };
  return { sql: balanced(terms, 'and'), exact };
}

function or(parts: Part[]): Part {
  const exact = parts.every((p) => p.exact);
  if (parts.some((p) => p.sql === true && p.exact)) return TRUE;
  if (parts.some((p) => p.sql === true)) return RESIDUAL;
  const terms = parts.map((p) => p.sql).filter((s): s is RawBuilder<SqlBool> => s !== false);
  if (terms.length === 0) return { sql: false, exact };
  if (terms.length === 1) return { sql: terms[0]!, exact };
  return { sql: balanced(terms, 'or'), exact };
}

/** Negating a superset gives nothing sound: only exact parts are negated in SQL. */
function not(part: Part): Part {
  if (!part.exact) return RESIDUAL;
  if (typeof part.sql === 'boolean') return { sql: !part.sql, exact: true };
  return { sql: sql<SqlBool>`not (${part.sql})`, exact: true };
}

/** Substring tests on documents one query may make (see `contains`). */
const maxSubstringTests = 16;
/** Tag subqueries one query may make (see `hasTag`). */
const maxTagSubqueries = 32;

/**
 * `$or` clauses that each ask one indexed field for string values, merged into one `$in` per field:
 * SQL answers `id in (…)` from the index, where a thousand `id = ?` or-ed together is a scan.
 * Other clauses are kept as they are.
 */
function mergeEqualities(clauses: Filter[]): Filter[] {
  const merged = new Map<string, Filter & { kind: 'field' }>();
  const out: Filter[] = [];
  for (const clause of clauses) {
    const values =
      clause.kind === 'field' && clause.conditions.length === 1
        ? stringsAsked(clause.conditions[0]!)
        : undefined;
    const path = clause.kind === 'field' ? pathText(clause.path) : '';
    if (
      clause.kind !== 'field' ||
      values === undefined ||
      !(Object.hasOwn(scalarColumns, path) || path === 'container_registry_tags')
    ) {
      out.push(clause);
      continue;
    }
    const existing = merged.get(path);
    if (existing) (existing.conditions[0] as { values: Json[] }).values.push(...values);
    else {
      const field = {
        kind: 'field' as const,
        path: clause.path,
        conditions: [{ op: '$in' as const, values: [...values] }],
      };
      merged.set(path, field);
      out.push(field);
    }
  }
  return out;
}

/** The strings an `$eq` or `$in` of strings only asks for. */
function stringsAsked(c: Condition): string[] | undefined {
  if (c.op === '$eq' && typeof c.value === 'string') return [c.value];
  if (c.op === '$in' && c.values.length > 0 && c.values.every((v) => typeof v === 'string')) {
    return c.values as string[];
  }
  return undefined;
}

class Compiler {
  private substringTests = 0;
  private tagSubqueries = 0;

  constructor(private readonly options: CompileOptions) {}

  compile(filter: Filter): Part {
    switch (filter.kind) {
      case 'and':
        return and(filter.of.map((f) => this.compile(f)));
      case 'or':
        return or(mergeEqualities(filter.of).map((f) => this.compile(f)));
      case 'nor':
        return not(or(mergeEqualities(filter.of).map((f) => this.compile(f))));
      case 'field':
        return and(filter.conditions.map((c) => this.condition(pathText(filter.path), c)));
    }
  }

  private condition(path: string, c: Condition): Part {
    if (c.op === '$exists' && alwaysPresent.has(path)) return c.value ? TRUE : FALSE;
    const column = scalarColumns[path];
    if (column !== undefined) return this.scalar(column, c);
    if (path === 'container_registry_tags') return this.tags(c);
    return this.narrow(c);
  }

  /** A non-null string column: only string operands can equal or compare with it. */
  private scalar(column: string, c: Condition): Part {
    const ref = sql.ref(column);
    switch (c.op) {
      case '$eq':
        return typeof c.value === 'string' ? { sql: sql<SqlBool>`${ref} = ${c.value}`, exact: true } : FALSE;
      case '$ne':
        return not(this.scalar(column, { op: '$eq', value: c.value }));
      case '$in': {
        const values = strings(c.values);
        if (values.length === 0) return FALSE;
        return { sql: sql<SqlBool>`${ref} in (${sql.join(values)})`, exact: true };
      }
      case '$nin':
        return not(this.scalar(column, { op: '$in', values: c.values }));
      case '$all':
        if (c.values.length === 0) return FALSE;
        return and(c.values.map((value) => this.scalar(column, { op: '$eq', value })));
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
        return not(and(c.conditions.map((k) => this.scalar(column, k))));
    }
  }

  /**
   * Entries with any of `values` as a tag. Each is a subquery, and PostgreSQL's planner takes
   * minutes over a thousand of them and-ed together: past a few the matcher decides instead.
   */
  private hasTag(values: string[]): Part {
    if (++this.tagSubqueries > maxTagSubqueries) return RESIDUAL;
    const list = sql.join(values);
    if (this.options.rareTags?.has(tagSetKey(values))) {
      return {
        sql: sql<SqlBool>`${sql.ref('catalog_entries.id')} in (select t.entry_id from ${sql.table('catalog_entry_tags')} as t where t.tag in (${list}))`,
        exact: true,
      };
    }
    return {
      sql: sql<SqlBool>`exists (select 1 from ${sql.table('catalog_entry_tags')} as t where t.entry_id = ${sql.ref('catalog_entries.id')} and t.tag in (${list}))`,
      exact: true,
    };
  }

  /** Entries with every one of the distinct `values` as a tag: one subquery however many there are. */
  private hasAllTags(values: string[]): Part {
    if (values.length === 1) return this.hasTag(values);
    if (++this.tagSubqueries > maxTagSubqueries) return RESIDUAL;
    return {
      sql: sql<SqlBool>`(select count(distinct t.tag) from ${sql.table('catalog_entry_tags')} as t where t.entry_id = ${sql.ref('catalog_entries.id')} and t.tag in (${sql.join(values)})) = ${values.length}`,
      exact: true,
    };
  }

  /** The tags array, through the tag table: membership compiles, the rest is the matcher's. */
  private tags(c: Condition): Part {
    switch (c.op) {
      case '$eq':
        if (Array.isArray(c.value)) return RESIDUAL;
        return typeof c.value === 'string' ? this.hasTag([c.value]) : FALSE;
      case '$ne':
        return not(this.tags({ op: '$eq', value: c.value }));
      case '$in': {
        if (c.values.some(Array.isArray)) return RESIDUAL;
        const values = strings(c.values);
        return values.length === 0 ? FALSE : this.hasTag(values);
      }
      case '$nin':
        return not(this.tags({ op: '$in', values: c.values }));
      case '$all': {
        // Like an $eq per value: a value neither string nor array is in no tag list.
        if (c.values.length === 0 || c.values.some((v) => !Array.isArray(v) && typeof v !== 'string')) {
          return FALSE;
        }
        const values = [...new Set(strings(c.values))];
        const part = values.length === 0 ? TRUE : this.hasAllTags(values);
        return c.values.some(Array.isArray) ? and([part, RESIDUAL]) : part;
      }
      case '$exists':
        return c.value ? TRUE : FALSE;
      case '$not':
        return not(and(c.conditions.map((k) => this.tags(k))));
      default:
        return this.narrow(c);
    }
  }

  /**
   * An unindexed path: only a superset. A string a document equals somewhere appears in its JSON text
   * exactly as JSON.stringify writes it (documents are stored that way), so a substring test narrows
   * the rows the matcher has to parse.
   */
  private narrow(c: Condition): Part {
    if (!this.options.dialect) return RESIDUAL;
    switch (c.op) {
      case '$eq':
        return typeof c.value === 'string' ? this.contains([c.value]) : RESIDUAL;
      case '$in':
        return c.values.length > 0 && c.values.every((v) => typeof v === 'string')
          ? this.contains(c.values as string[])
          : RESIDUAL;
      case '$all':
        if (c.values.length === 0) return FALSE;
        return and(c.values.map((value) => this.narrow({ op: '$eq', value })));
      case '$elemMatch':
        if ('conditions' in c) return and(c.conditions.map((k) => this.narrow(k)));
        return this.narrowFilter(c.filter);
      default:
        return RESIDUAL;
    }
  }

  private narrowFilter(filter: Filter): Part {
    switch (filter.kind) {
      case 'and':
        return and(filter.of.map((f) => this.narrowFilter(f)));
      case 'or':
        return or(filter.of.map((f) => this.narrowFilter(f)));
      case 'nor':
        return RESIDUAL;
      case 'field':
        return and(filter.conditions.map((c) => this.narrow(c)));
    }
  }

  /**
   * Each substring test reads every candidate's whole document (in SQLite, on the event loop), so a
   * query gets a few; past them the matcher decides, within the query's budget and yielding.
   */
  private contains(values: string[]): Part {
    if (this.substringTests + values.length > maxSubstringTests) return RESIDUAL;
    this.substringTests += values.length;
    const test = this.options.dialect === 'postgres' ? 'strpos' : 'instr';
    const terms = values.map(
      (v) => sql<SqlBool>`${sql.raw(test)}(${sql.ref('document')}, ${JSON.stringify(v)}) > 0`,
    );
    return {
      sql: balanced(terms, 'or'),
      exact: false,
    };
  }
}
