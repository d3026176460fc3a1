import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Dialect } from '../db/index.js';
import type { Condition, Filter } from './filter.js';
import { stringValues } from './json.js';
import { entryFields } from './entry.js';
import { pathText } from './paths.js';
import { and, FALSE, not, or, RESIDUAL, toSql, TRUE, balanced, type Part } from './sql-part.js';
import { scalarColumns } from './scalar-columns.js';
import { mergeEqualities } from './merge-equalities.js';
import { tagSetKey } from './tag-sets.js';

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

/** Paths every normalized entry has. */
const alwaysPresent = new Set<string>([
  ...entryFields,
  'container_registry_storage_info.storage_type',
  'container_registry_storage_info.storage_size',
  'container_registry_storage_info.memory_size',
  'container_registry_storage_info.registry_type',
]);

/** Substring tests on documents one query may make (see `contains`). */
const maxSubstringTests = 16;
/** Tag subqueries one query may make (see `hasTag`). */
const maxTagSubqueries = 32;

export function compileFilter(filter: Filter, options: CompileOptions = {}): SqlFilter {
  const part = new Compiler(options).compile(filter);
  return { where: toSql(part.sql), exact: part.exact };
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
        const values = stringValues(c.values);
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
        const values = stringValues(c.values);
        return values.length === 0 ? FALSE : this.hasTag(values);
      }
      case '$nin':
        return not(this.tags({ op: '$in', values: c.values }));
      case '$all': {
        // Like an $eq per value: a value neither string nor array is in no tag list.
        if (c.values.length === 0 || c.values.some((v) => !Array.isArray(v) && typeof v !== 'string')) {
          return FALSE;
        }
        const values = [...new Set(stringValues(c.values))];
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
