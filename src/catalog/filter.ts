import { AppError } from '../errors/index.js';
import { isObject, typeName, type Json } from './json.js';
import { parsePath, type Path } from './paths.js';

/** A parsed query filter (MongoDB's query language over JSON). */
export type Filter =
  { kind: 'and' | 'or' | 'nor'; of: Filter[] } | { kind: 'field'; path: Path; conditions: Condition[] };

export type Comparison = '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte';

export type Condition =
  | { op: Comparison; value: Json }
  | { op: '$in' | '$nin' | '$all'; values: Json[] }
  | { op: '$exists'; value: boolean }
  | { op: '$regex'; regex: RegExp }
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
const maxRegexLength = 1000;

function invalid(message: string): AppError {
  return new AppError('CATALOG_REQUEST_INVALID', message);
}

/**
 * Parse a filter such as `{"container_registry_tags": {"$in": ["ai", "internal"]}}`. Unknown
 * operators, unknown fields and arguments of the wrong type are 400s that say what is wrong.
 */
export function parseFilter(input: unknown): Filter {
  return parseQuery(input, 'filter', 0, false);
}

/** `relative`: inside $elemMatch paths name fields of the array's elements, not of the entry. */
function parseQuery(input: unknown, where: string, depth: number, relative: boolean): Filter {
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
      clauses.push({
        kind: key.slice(1) as 'and' | 'or' | 'nor',
        of: value.map((v, i) => parseQuery(v, `${where}.${key}.${i}`, depth + 1, relative)),
      });
    } else {
      const path = relative ? relativePath(key, where) : parsePath(key, where);
      clauses.push({ kind: 'field', path, conditions: parseConditions(value, `${where}.${key}`, depth) });
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
function parseConditions(value: unknown, where: string, depth: number): Condition[] {
  if (depth > maxDepth) throw invalid(`${where}: nested more than ${maxDepth} levels deep`);
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
    conditions.push(parseOperator(key, value[key]!, value, `${where}.${key}`, depth));
  }
  return conditions;
}

function parseOperator(
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
      return { op, regex: parseRegex(arg, all.$options, where) };
    case '$elemMatch':
      if (!isObject(arg)) throw invalid(`${where}: expected an object, got ${typeName(arg)}`);
      if (isOperatorObject(arg) && Object.keys(arg).every((k) => !['$and', '$or', '$nor'].includes(k))) {
        return { op, conditions: parseConditions(arg, where, depth + 1) };
      }
      return { op, filter: parseQuery(arg, where, depth + 1, true) };
    case '$not':
      if (!isOperatorObject(arg)) {
        throw invalid(
          `${where}: expected an operator object such as {"$regex": "..."}, got ${typeName(arg)}`,
        );
      }
      return { op, conditions: parseConditions(arg, where, depth + 1) };
    default:
      throw invalid(`${where}: unknown operator ${op} (known: ${fieldOperators.join(' ')})`);
  }
}

function parseRegex(pattern: Json, options: Json | undefined, where: string): RegExp {
  if (typeof pattern !== 'string') throw invalid(`${where}: expected a string, got ${typeName(pattern)}`);
  if (pattern.length > maxRegexLength) throw invalid(`${where}: longer than ${maxRegexLength} characters`);
  if (options !== undefined && (typeof options !== 'string' || !/^[imsu]*$/.test(options))) {
    throw invalid(`${where}: $options may hold only the flags i, m, s and u`);
  }
  try {
    return new RegExp(pattern, [...new Set(options ?? '')].join(''));
  } catch (err) {
    throw invalid(`${where}: invalid regular expression: ${(err as Error).message}`);
  }
}

/** What an array element is tested against ($pull's argument): operators, a query on objects, or a value. */
export type ElementCondition =
  | { kind: 'conditions'; conditions: Condition[] }
  | { kind: 'filter'; filter: Filter }
  | { kind: 'value'; value: Json };

export function parseElementCondition(value: unknown, where: string): ElementCondition {
  if (isOperatorObject(value)) {
    return Object.keys(value).every((k) => !['$and', '$or', '$nor'].includes(k))
      ? { kind: 'conditions', conditions: parseConditions(value, where, 1) }
      : { kind: 'filter', filter: parseQuery(value, where, 1, true) };
  }
  if (isObject(value)) return { kind: 'filter', filter: parseQuery(value, where, 1, true) };
  return { kind: 'value', value: value as Json };
}
