import type { Condition, Filter } from './filter.js';
import type { Json } from './json.js';
import { pathText } from './paths.js';
import { scalarColumns } from './scalar-columns.js';

/**
 * `$or` clauses that each ask one indexed field for string values, merged into one `$in` per field:
 * SQL answers `id in (…)` from the index, where a thousand `id = ?` or-ed together is a scan.
 * Other clauses are kept as they are.
 */
export function mergeEqualities(clauses: Filter[]): Filter[] {
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
