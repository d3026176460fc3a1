/** Variables under the REGISTRY_/ARCA_ prefixes that are not configuration paths. */
export const nonConfigVariables = new Set([
  'REGISTRY_CONFIGURATION_PATH',
  // podman, skopeo and buildah read this one; it is often set in the same shell.
  'REGISTRY_AUTH_FILE',
  'ARCA_CONFIG',
  'ARCA_SERVER',
  'ARCA_USERNAME',
  'ARCA_PASSWORD',
  'ARCA_API_KEY',
  'ARCA_ADMIN_PASSWORD',
  'ARCA_MASTER_KEY',
]);

/** Sections whose value names a driver or mode: `REGISTRY_STORAGE=s3`, `REGISTRY_AUTH=htpasswd`. */
const driverSections: Record<string, { keep: string[] }> = {
  storage: { keep: ['delete', 'redirect', 'maintenance', 'cache', 'tag'] },
  auth: { keep: [] },
};

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The variables that apply, in a stable order: shorter paths first, so a section is set before its keys. */
function configVariables(env: Record<string, string | undefined>): [string, string[], string][] {
  const found: [string, string[], string][] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || nonConfigVariables.has(name) || name.startsWith('ARCA_TEST_')) continue;
    const prefix = name.startsWith('REGISTRY_')
      ? 'REGISTRY_'
      : name.startsWith('ARCA_')
        ? 'ARCA_'
        : undefined;
    if (!prefix) continue;
    const path = name.slice(prefix.length).toLowerCase().split('_');
    if (path.some((p) => p === '')) continue;
    found.push([name, path, value]);
  }
  return found.sort((a, b) => a[1].length - b[1].length || a[0].localeCompare(b[0]));
}

/**
 * Overlay REGISTRY_* / ARCA_* variables onto the parsed file, registry:2's way: the name after the
 * prefix is the key path, split on '_', matched case-insensitively. Returns which variable set which path.
 */
export function applyEnvOverrides(tree: Tree, env: Record<string, string | undefined>): Map<string, string> {
  const origins = new Map<string, string>();
  for (const [name, path, value] of configVariables(env)) {
    const section = path[0]!;
    if (path.length === 1 && driverSections[section]) {
      const current = isTree(tree[section]) ? tree[section] : {};
      const next: Tree = {
        [value.toLowerCase()]: isTree(current[value.toLowerCase()]) ? current[value.toLowerCase()] : {},
      };
      for (const k of driverSections[section].keep) if (k in current) next[k] = current[k];
      tree[section] = next;
      origins.set(`${section}.${value.toLowerCase()}`, name);
      continue;
    }
    let node = tree;
    for (const key of path.slice(0, -1)) {
      const match = Object.keys(node).find((k) => k.toLowerCase() === key) ?? key;
      if (!isTree(node[match])) node[match] = {};
      node = node[match] as Tree;
    }
    const last = path.at(-1)!;
    node[Object.keys(node).find((k) => k.toLowerCase() === last) ?? last] = value;
    origins.set(path.join('.'), name);
  }
  return origins;
}
