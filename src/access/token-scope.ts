import type { RepositoryAction } from './grants.js';

/** One entry of a token's `access` claim, as in the Docker token specification. */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** A requested scope: `repository:<name>:<actions>`, `repository(<class>):…` or `registry:catalog:*`. */
export interface RequestedScope {
  type: string;
  /** e.g. 'plugin' in `repository(plugin):…`; informational. */
  resourceClass?: string;
  name: string;
  actions: string[];
}

/**
 * Parse a `scope` value. Several scopes may be given space-separated (the OAuth2 POST) or as
 * repeated parameters (the GET). The name sits between the first and the last colon, so a
 * `host:port/name` keeps its colon. Unparseable scopes are skipped, as registry:2's token servers do.
 */
export function parseScopes(values: readonly string[]): RequestedScope[] {
  const scopes: RequestedScope[] = [];
  for (const value of values) {
    for (const text of value.split(' ')) {
      if (text === '') continue;
      const first = text.indexOf(':');
      const last = text.lastIndexOf(':');
      if (first <= 0 || last === first) continue;
      const typeText = text.slice(0, first);
      const name = text.slice(first + 1, last);
      const actions = text
        .slice(last + 1)
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      const m = /^([a-z0-9]+)(?:\(([a-z0-9]+)\))?$/.exec(typeText);
      if (!m || name === '' || actions.length === 0) continue;
      scopes.push({ type: m[1]!, resourceClass: m[2], name, actions: [...new Set(actions)] });
    }
  }
  return scopes;
}

/** `repository:<name>:<actions>` for a challenge's scope parameter. */
export function formatScope(scope: { type: string; name: string; actions: readonly string[] }): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`;
}

/** Does this access claim allow `action` on `type:name`? `*` stands for every action. */
export function accessAllows(
  access: readonly AccessEntry[],
  type: string,
  name: string,
  action: string,
): boolean {
  return access.some(
    (e) => e.type === type && e.name === name && (e.actions.includes(action) || e.actions.includes('*')),
  );
}

/** The repository actions a scope may grant; `*` means all three. */
export function repositoryActionsOf(actions: readonly string[]): RepositoryAction[] {
  const all: RepositoryAction[] = ['pull', 'push', 'delete'];
  if (actions.includes('*')) return all;
  return all.filter((a) => actions.includes(a));
}
