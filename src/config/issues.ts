import type { z } from 'zod';

/** Which REGISTRY_* or ARCA_* variable (or deprecated key) set each dotted path. */
export type Origins = Map<string, string>;

/** A dotted path as messages show it: with the variable that set it, when one did. */
export function labelPath(path: string, origins: Origins): string {
  const variable = origins.get(path);
  return variable ? `${variable} (${path})` : path || '(root)';
}

/** One validation issue as `config: <path>: <problem>` or `config: unknown key '<path>'`. */
export function describeIssue(issue: z.core.$ZodIssue, origins: Origins): string {
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys
      .map((key) => {
        const full = path ? `${path}.${key}` : key;
        const variable = [...origins].find(([p]) => p === full || p.startsWith(`${full}.`))?.[1];
        return variable ? `config: ${variable}: unknown key '${full}'` : `config: unknown key '${full}'`;
      })
      .join('\n');
  }
  return `config: ${labelPath(path, origins)}: ${issue.message}`;
}
