import { ConfigError } from './config-error.js';
import { parseYamlTree } from './yaml-tree.js';

/**
 * Variables under the REGISTRY_/ARCA_ prefixes that are not configuration paths; a trailing '*'
 * matches any rest of the name.
 */
export const nonConfigVariables: readonly string[] = [
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
  'ARCA_MASTER_KEY_PREVIOUS',
  'ARCA_TEST_*',
];

function isListed(name: string): boolean {
  return nonConfigVariables.some((entry) =>
    entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry,
  );
}

/**
 * Kubernetes gives every pod `<SERVICE>_SERVICE_HOST`, `<SERVICE>_PORT=tcp://…` and friends for each
 * service in its namespace, so a service named `registry`, `registry-auth` or `arca` puts them
 * under our prefixes. A bare `_PORT` counts only with the `tcp://` value Kubernetes gives it.
 */
function isKubernetesServiceVariable(name: string, value: string): boolean {
  if (/_SERVICE_(HOST|PORT(_[A-Z0-9_]+)?)$/.test(name)) return true;
  if (/_PORT_\d+_(TCP|UDP|SCTP)(_(ADDR|PORT|PROTO))?$/.test(name)) return true;
  return /_PORT$/.test(name) && /^(tcp|udp|sctp):\/\//.test(value);
}

/** Sections whose value names a driver or mode: `REGISTRY_STORAGE=s3`, `REGISTRY_AUTH=htpasswd`. */
const driverSections: Record<string, { keep: readonly string[] }> = {
  storage: { keep: ['delete', 'redirect', 'maintenance', 'cache', 'tag'] },
  auth: { keep: [] },
};

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A variable's value as the schema should see it: the raw text (the schema converts it by the
 * field's type, as registry:2 does), except quoted text and flow collections such as
 * `[nosniff]`, which are YAML.
 */
function envValue(raw: string): unknown {
  if (!/^\s*["'[{]/.test(raw)) return raw;
  try {
    return parseYamlTree(raw);
  } catch {
    return raw;
  }
}

interface Override {
  name: string;
  path: string[];
  value: string;
}

/**
 * The variables that apply, in order: shorter paths first, so `REGISTRY_STORAGE=s3` selects the
 * section before `REGISTRY_STORAGE_S3_BUCKET` fills it; on the same path ARCA_* comes last and wins.
 */
function overrides(env: Record<string, string | undefined>): Override[] {
  const found: Override[] = [];
  for (const [name, value] of Object.entries(env)) {
    const prefix = ['REGISTRY_', 'ARCA_'].find((p) => name.startsWith(p));
    // An empty variable is unset, as in registry:2 (YAML of nothing decodes to nothing).
    if (!prefix || value === undefined || value === '') continue;
    if (isListed(name) || isKubernetesServiceVariable(name, value)) continue;
    found.push({ name, path: name.slice(prefix.length).toLowerCase().split('_'), value });
  }
  const rank = (o: Override) => (o.name.startsWith('ARCA_') ? 1 : 0);
  return found.sort(
    (a, b) => a.path.length - b.path.length || rank(a) - rank(b) || a.name.localeCompare(b.name),
  );
}

/** A key of `node` equal to `key` ignoring case, else `key` itself. */
function keyIn(node: Tree, key: string): string {
  return Object.keys(node).find((k) => k.toLowerCase() === key) ?? key;
}

/**
 * Overlay REGISTRY_* / ARCA_* variables onto the parsed file, registry:2's way: the name after the
 * prefix is the key path, split on '_', matched case-insensitively. Returns the variable that set
 * each dotted path, for error messages. Throws on a variable whose name is no path at all.
 */
export function applyEnvOverrides(tree: Tree, env: Record<string, string | undefined>): Map<string, string> {
  const origins = new Map<string, string>();
  for (const { name, path, value: raw } of overrides(env)) {
    if (path.some((p) => p === '')) throw new ConfigError(`config: ${name}: not a configuration path`);
    const value = envValue(raw);
    const section = path[0]!;
    const driver = driverSections[section];
    if (path.length === 1 && driver && typeof value === 'string') {
      const chosen = value.toLowerCase();
      const current = isTree(tree[section]) ? tree[section] : {};
      const next: Tree = { [chosen]: isTree(current[chosen]) ? current[chosen] : {} };
      for (const k of driver.keep) if (k in current) next[k] = current[k];
      tree[section] = next;
      origins.set(`${section}.${chosen}`, name);
      continue;
    }
    let node = tree;
    const keys: string[] = [];
    for (const key of path.slice(0, -1)) {
      const match = keyIn(node, key);
      if (!isTree(node[match])) node[match] = {};
      node = node[match] as Tree;
      keys.push(match);
    }
    const last = keyIn(node, path.at(-1)!);
    node[last] = value;
    origins.set([...keys, last].join('.'), name);
  }
  return origins;
}
