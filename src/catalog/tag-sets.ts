import type { Condition, Filter } from './filter.js';
import { stringValues } from './json.js';
import { pathText } from './paths.js';

/** One key for a set of tags, whatever their order and repeats. */
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
        else if (c.op === '$in' || c.op === '$nin') out.push(stringValues(c.values));
        else if (c.op === '$all') for (const v of stringValues(c.values)) out.push([v]);
        else if (c.op === '$not') conditions(c.conditions);
      }
    };
    conditions(f.conditions);
  };
  visit(filter);
  return out.filter((set) => set.length > 0);
}
