import { AppError } from '../errors/index.js';
import { isObject, typeName, type Json } from './json.js';
import { parsePath, type Path } from './paths.js';
import { compileRegex, type Regex } from './regex.js';

/** A parsed query filter (MongoDB's query language over JSON). */
export type Filter =
  { kind: 'and' | 'or' | 'nor'; of: Filter[] } | { kind: 'field'; path: Path; conditions: Condition[] };

export type Comparison = '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte';

export type Condition =
  | { op: Comparison; value: Json }
  | { op: '$in' | '$nin' | '$all'; values: Json[] }
  | { op: '$exists'; value: boolean }
  | { op: '$regex'; regex: Regex }
  | { op: '$size'; value: number }
  | { op: '$elemMatch'; conditions: Condition[] }
  | { op: '$elemMatch'; filter: Filter }
  | { op: '$not'; conditions: Condition[] };

export const fieldOperators = [
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$all',
  '$exists',
  '$regex',
  '$options',
  '$size',
  '$elemMatch',
  '$not',
] as const;
const logical = ['$and', '$or', '$nor'] as const;
const maxDepth = 20;

/**
 * How wide a filter may be. Every term costs SQL parameters and expression depth (SQLite refuses
 * more than 32,766 variables, PostgreSQL 65,535 parameters) and matcher time on every candidate,
 * so a filter wider than this is refused up front with a 400 naming the limit (catalog.query).
 */
export interface FilterLimits {
  /** Values in one $in/$nin/$all, clauses in one $and/$or/$nor (catalog.query.maxvalues). */
  maxValues: number;
  /** Conditions, clauses and values in the whole filter (catalog.query.maxterms). */
  maxTerms: number;
}

export const defaultFilterLimits: FilterLimits = { maxValues: 1000, maxTerms: 5000 };

function invalid(message: string): AppError {
  return new AppError('CATALOG_REQUEST_INVALID', message);
}

function tooExpensive(message: string): AppError {
  return new AppError('CATALOG_QUERY_TOO_EXPENSIVE', message);
}

/** One parse: the limits and the terms counted so far. */
class Parse {
  private terms = 0;
  constructor(readonly limits: FilterLimits) {}

  /** Count `n` terms at `where`; `values` when they are one operator's list. */
  count(n: number, where: string, values = false): void {
    if (values && n > this.limits.maxValues) {
      throw tooExpensive(
        `${where}: ${n} values, more than the ${this.limits.maxValues} one operator may have (catalog.query.maxvalues)`,
      );
    }
    this.terms += n;
    if (this.terms > this.limits.maxTerms) {
      throw tooExpensive(
        `${where}: the filter has more than ${this.limits.maxTerms} terms (conditions, clauses and values; catalog.query.maxterms)`,
      );
    }
  }
}

/**
 * Parse a filter such as `{"container_registry_tags": {"$in": ["ai", "internal"]}}`. Unknown
 * operators, unknown fields and arguments of the wrong type are 400s that say what is wrong.
 */
export function parseFilter(input: unknown, limits: FilterLimits = defaultFilterLimits): Filter {
  return parseQuery(new Parse(limits), input, 'filter', 0, false);
}

/** `relative`: inside $elemMatch paths name fields of the array's elements, not of the entry. */
function parseQuery(p: Parse, input: unknown, where: string, depth: number, relative: boolean): Filter {
  if (depth > maxDepth) throw invalid(`${where}: nested more than ${maxDepth} levels deep`);
  if (!isObject(input)) throw invalid(`${where}: expected an object, got ${typeName(input)}`);
  const clauses: Filter[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith('$')) {
      if (!(logical as readonly string[]).includes(key)) {
        const hint = key === '$not' ? ' ($not applies to a field; use $nor for a whole filter)' : '';
        throw invalid(`${where}: unknown top-level operator ${key}${hint}`);
      }
      if (!Array.isArray(value) || value.length === 0) {
        throw invalid(`${where}.${key}: expected a non-empty array of filters`);
      }
      p.count(value.length, `${where}.${key}`, true);
      clauses.push({
        kind: key.slice(1) as 'and' | 'or' | 'nor',
        of: value.map((v, i) => parseQuery(p, v, `${where}.${key}.${i}`, depth + 1, relative)),
      });
    } else {
      const path = relative ? relativePath(key, where) : parsePath(key, where);
      clauses.push({ kind: 'field', path, conditions: parseConditions(p, value, `${where}.${key}`, depth) });
    }
  }
  return clauses.length === 1 ? clauses[0]! : { kind: 'and', of: clauses };
}

function relativePath(key: string, where: string): string[] {
  const segments = key.split('.');
  if (segments.some((s) => s === '' || s.startsWith('$') || s === '__proto__')) {
    throw invalid(`${where}: invalid field path '${key}'`);
  }
  return segments;
}

function isOperatorObject(value: unknown): value is Record<string, Json> {
  return isObject(value) && Object.keys(value).some((k) => k.startsWith('$'));
}

/** A field's value: an operator object (`{"$gt": 1}`) or a value to equal. */
function parseConditions(p: Parse, value: unknown, where: string, depth: number): Condition[] {
  if (depth > maxDepth) throw invalid(`${where}: nested more than ${maxDepth} levels deep`);
  p.count(1, where);
  if (!isOperatorObject(value)) return [{ op: '$eq', value: value as Json }];
  const keys = Object.keys(value);
  const plain = keys.find((k) => !k.startsWith('$'));
  if (plain !== undefined) {
    throw invalid(`${where}: cannot mix operators and field names ('${plain}') in one object`);
  }
  const conditions: Condition[] = [];
  for (const key of keys) {
    if (key === '$options') {
      if (!('$regex' in value)) throw invalid(`${where}: $options needs $regex`);
      continue;
    }
    conditions.push(parseOperator(p, key, value[key]!, value, `${where}.${key}`, depth));
  }
  return conditions;
}

function parseOperator(
  p: Parse,
  op: string,
  arg: Json,
  all: Record<string, Json>,
  where: string,
  depth: number,
): Condition {
  switch (op) {
    case '$eq':
    case '$ne':
      return { op, value: arg };
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      if (arg !== null && !['number', 'string', 'boolean'].includes(typeof arg)) {
        throw invalid(`${where}: expected a number, string, boolean or null, got ${typeName(arg)}`);
      }
      return { op, value: arg };
    case '$in':
    case '$nin':
    case '$all':
      if (!Array.isArray(arg)) throw invalid(`${where}: expected an array, got ${typeName(arg)}`);
      if (arg.some(isOperatorObject)) throw invalid(`${where}: operators inside ${op} are not supported`);
      p.count(arg.length, where, true);
      return { op, values: arg };
    case '$exists':
      if (typeof arg !== 'boolean' && typeof arg !== 'number') {
        throw invalid(`${where}: expected true or false, got ${typeName(arg)}`);
      }
      return { op, value: Boolean(arg) };
    case '$size':
      if (typeof arg !== 'number' || !Number.isSafeInteger(arg) || arg < 0) {
        throw invalid(`${where}: expected a non-negative integer, got ${JSON.stringify(arg)}`);
      }
      return { op, value: arg };
    case '$regex':
      return { op, regex: compileRegex(arg, all.$options, where) };
    case '$elemMatch':
      if (!isObject(arg)) throw invalid(`${where}: expected an object, got ${typeName(arg)}`);
      if (isOperatorObject(arg) && Object.keys(arg).every((k) => !['$and', '$or', '$nor'].includes(k))) {
        return { op, conditions: parseConditions(p, arg, where, depth + 1) };
      }
      return { op, filter: parseQuery(p, arg, where, depth + 1, true) };
    case '$not':
      if (!isOperatorObject(arg)) {
        throw invalid(
          `${where}: expected an operator object such as {"$regex": "..."}, got ${typeName(arg)}`,
        );
      }
      return { op, conditions: parseConditions(p, arg, where, depth + 1) };
    default:
      throw invalid(`${where}: unknown operator ${op} (known: ${fieldOperators.join(' ')})`);
  }
}

/** What an array element is tested against ($pull's argument): operators, a query on objects, or a value. */
export type ElementCondition =
  | { kind: 'conditions'; conditions: Condition[] }
  | { kind: 'filter'; filter: Filter }
  | { kind: 'value'; value: Json };

export function parseElementCondition(
  value: unknown,
  where: string,
  limits: FilterLimits = defaultFilterLimits,
): ElementCondition {
  const p = new Parse(limits);
  if (isOperatorObject(value)) {
    return Object.keys(value).every((k) => !['$and', '$or', '$nor'].includes(k))
      ? { kind: 'conditions', conditions: parseConditions(p, value, where, 1) }
      : { kind: 'filter', filter: parseQuery(p, value, where, 1, true) };
  }
  if (isObject(value)) return { kind: 'filter', filter: parseQuery(p, value, where, 1, true) };
  return { kind: 'value', value: value as Json };
}
