import { compareValues, isObject, jsonEquals, typeRank, type Json } from './json.js';
import { MISSING, resolvePath, type Leaf } from './paths.js';
import type { Condition, Filter } from './filter.js';

/**
 * Whether a document matches a filter. This is the query language's specification: the SQL
 * compilation (sql-filter.ts) only narrows candidates and must never disagree with it.
 */
export function matches(doc: Json, filter: Filter): boolean {
  switch (filter.kind) {
    case 'and':
      return filter.of.every((f) => matches(doc, f));
    case 'or':
      return filter.of.some((f) => matches(doc, f));
    case 'nor':
      return !filter.of.some((f) => matches(doc, f));
    case 'field': {
      const leaves = resolvePath(doc, filter.path);
      return filter.conditions.every((c) => holds(leaves, c));
    }
  }
}

/** Whether a condition holds for the values a path reached. */
export function holds(leaves: Leaf[], c: Condition): boolean {
  switch (c.op) {
    case '$eq':
      return equalsAny(leaves, c.value);
    case '$ne':
      return !equalsAny(leaves, c.value);
    case '$in':
      return c.values.some((v) => equalsAny(leaves, v));
    case '$nin':
      return !c.values.some((v) => equalsAny(leaves, v));
    case '$all':
      return c.values.length > 0 && c.values.every((v) => equalsAny(leaves, v));
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return leaves.some((leaf) => compares(leaf, c.op as '$gt' | '$gte' | '$lt' | '$lte', c.value));
    case '$exists':
      return leaves.some((leaf) => leaf !== MISSING) === c.value;
    case '$regex':
      return leaves.some((leaf) => elementsOf(leaf).some((v) => typeof v === 'string' && c.regex.test(v)));
    case '$size':
      return leaves.some((leaf) => Array.isArray(leaf) && leaf.length === c.value);
    case '$elemMatch':
      return leaves.some(
        (leaf) =>
          Array.isArray(leaf) &&
          leaf.some((e) =>
            'filter' in c ? isObject(e) && matches(e, c.filter) : c.conditions.every((k) => holds([e], k)),
          ),
      );
    case '$not':
      return !c.conditions.every((k) => holds(leaves, k));
  }
}

/** A leaf's candidate values: the leaf itself, and the elements of an array leaf. */
function elementsOf(leaf: Leaf): Json[] {
  if (leaf === MISSING) return [];
  return Array.isArray(leaf) ? [leaf, ...leaf] : [leaf];
}

/** Equality as MongoDB has it: a whole value or an array element equals; null also matches missing. */
function equalsAny(leaves: Leaf[], value: Json): boolean {
  return leaves.some((leaf) =>
    leaf === MISSING ? value === null : elementsOf(leaf).some((v) => jsonEquals(v, value)),
  );
}

/** Comparisons only hold between values of the same type; `$gte`/`$lte` null behave like `$eq` null. */
function compares(leaf: Leaf, op: '$gt' | '$gte' | '$lt' | '$lte', value: Json): boolean {
  if (value === null) return (op === '$gte' || op === '$lte') && equalsAny([leaf], null);
  if (leaf === MISSING) return false;
  const rank = typeRank(value);
  return (Array.isArray(leaf) ? leaf : [leaf]).some((v) => {
    if (typeRank(v) !== rank) return false;
    const c = compareValues(v, value);
    return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
  });
}
