/**
 * Where a role assignment applies: everything (`/`), one namespace (`/namespaces/<ns>`) or one
 * registry (`/registries/<name>`).
 */
export type Scope =
  { kind: 'all' } | { kind: 'namespace'; namespace: string } | { kind: 'registry'; registry: string };

/** Registry and namespace names: 2-32 letters, digits, `_` and `-`, starting with a letter or digit. */
export const resourceNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$/;

/** Parse `/`, `/namespaces/<ns>` or `/registries/<name>`; null when it is none of them. */
export function parseScope(text: string): Scope | null {
  if (text === '/') return { kind: 'all' };
  const m = /^\/(namespaces|registries)\/([^/]+)$/.exec(text);
  if (!m || !resourceNamePattern.test(m[2]!)) return null;
  return m[1] === 'namespaces'
    ? { kind: 'namespace', namespace: m[2]! }
    : { kind: 'registry', registry: m[2]! };
}

export function formatScope(scope: Scope): string {
  switch (scope.kind) {
    case 'all':
      return '/';
    case 'namespace':
      return `/namespaces/${scope.namespace}`;
    case 'registry':
      return `/registries/${scope.registry}`;
  }
}

/** Where a registry sits: its name and its namespace. */
export interface RegistryLocation {
  registry: string;
  namespace: string;
}

/** Does an assignment at `scope` reach this registry? */
export function scopeCovers(scope: Scope, target: RegistryLocation): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'namespace':
      return scope.namespace === target.namespace;
    case 'registry':
      // Registry names are unique regardless of case; repositories name them in lowercase.
      return scope.registry.toLowerCase() === target.registry.toLowerCase();
  }
}
