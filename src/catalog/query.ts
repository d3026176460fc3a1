import { AppError } from '../errors/index.js';
import { compareValues, isObject, typeName, type Json, type JsonObject } from './json.js';
import { parseFilter, type Filter, type FilterLimits } from './filter.js';
import { MISSING, parsePath, resolvePath, type Path } from './paths.js';

export interface SortKey {
  path: Path;
  direction: 1 | -1;
}

/** MongoDB-style projection: only the listed paths (`include`), or everything but them. */
export interface Projection {
  mode: 'include' | 'exclude';
  tree: ProjectionTree;
}
interface ProjectionTree {
  [key: string]: ProjectionTree | true;
}

/** A parsed query: filter, order, projection and the page (`limit` 0 = no limit). */
export interface Query {
  filter: Filter;
  sort: SortKey[];
  projection?: Projection;
  limit: number;
  skip: number;
}

/** A query as it arrives: a filter object and the options, each as JSON or as a query-string text. */
export interface QueryInput {
  filter?: unknown;
  sort?: unknown;
  projection?: unknown;
  limit?: unknown;
  skip?: unknown;
}

/** The keys of a query envelope (`{"filter": {...}, "sort": ..., "limit": ...}`). */
export const queryEnvelopeKeys = ['filter', 'sort', 'projection', 'limit', 'skip'] as const;

function invalid(message: string): AppError {
  return new AppError('CATALOG_REQUEST_INVALID', message);
}

export function parseQuery(
  input: QueryInput,
  limits: { defaultLimit?: number; maxLimit?: number; filter?: FilterLimits } = {},
): Query {
  const limit = parseCount(input.limit, 'limit') ?? limits.defaultLimit ?? 0;
  if (limits.maxLimit !== undefined && (limit === 0 || limit > limits.maxLimit)) {
    throw invalid(`limit: at most ${limits.maxLimit}`);
  }
  return {
    filter: parseFilter(input.filter ?? {}, limits.filter),
    sort: parseSort(input.sort),
    projection: parseProjection(input.projection),
    limit,
    skip: parseCount(input.skip, 'skip') ?? 0,
  };
}

function parseCount(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalid(`${name}: expected a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** `{"container_registry_name": 1, "container_registry_metadata.region": -1}` or `"name,-other"`. */
export function parseSort(value: unknown): SortKey[] {
  if (value === undefined || value === '') return [];
  if (typeof value === 'string') {
    return value.split(',').map((part) => {
      const descending = part.startsWith('-');
      const name = descending || part.startsWith('+') ? part.slice(1) : part;
      return { path: parsePath(name.trim(), 'sort'), direction: descending ? -1 : 1 };
    });
  }
  if (!isObject(value))
    throw invalid(`sort: expected an object or a text such as "a,-b", got ${typeName(value)}`);
  return Object.entries(value).map(([name, dir]) => {
    const direction = dir === 1 || dir === 'asc' ? 1 : dir === -1 || dir === 'desc' ? -1 : undefined;
    if (direction === undefined) throw invalid(`sort.${name}: expected 1 or -1, got ${JSON.stringify(dir)}`);
    return { path: parsePath(name, 'sort'), direction };
  });
}

/** `{"container_registry_name": 1}` (only these) or `{"container_registry_config": 0}` (all but), or `"a,b"` / `"-a,-b"`. */
export function parseProjection(value: unknown): Projection | undefined {
  if (value === undefined || value === '') return undefined;
  let entries: [string, boolean][];
  if (typeof value === 'string') {
    entries = value
      .split(',')
      .map((p) => (p.startsWith('-') ? [p.slice(1).trim(), false] : [p.trim(), true]));
  } else if (isObject(value)) {
    entries = Object.entries(value).map(([name, flag]) => {
      if (flag !== 0 && flag !== 1 && typeof flag !== 'boolean') {
        throw invalid(`projection.${name}: expected 1 (include) or 0 (exclude), got ${JSON.stringify(flag)}`);
      }
      return [name, Boolean(flag)];
    });
  } else {
    throw invalid(`projection: expected an object or a text such as "a,b", got ${typeName(value)}`);
  }
  if (entries.length === 0) return undefined;
  // As in MongoDB, the id may be excluded from an inclusion projection.
  const decisive = entries.filter(([name, flag]) => name !== 'container_registry_id' || flag);
  const include = decisive.length === 0 ? false : decisive[0]![1];
  if (decisive.some(([, flag]) => flag !== include)) {
    throw invalid('projection: cannot mix inclusion and exclusion');
  }
  const tree: ProjectionTree = {};
  let excludeId = false;
  for (const [name, flag] of entries) {
    const path = parsePath(name, 'projection');
    if (include && !flag) {
      excludeId = true;
      continue;
    }
    addPath(tree, path, name);
  }
  if (include && !excludeId) addPath(tree, ['container_registry_id'], 'container_registry_id', true);
  return { mode: include ? 'include' : 'exclude', tree };
}

function addPath(tree: ProjectionTree, path: Path, name: string, lenient = false): void {
  let node = tree;
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    const existing = node[segment];
    if (existing === true || (last && existing !== undefined)) {
      if (lenient) return;
      throw invalid(`projection: '${name}' collides with another path`);
    }
    if (last) node[segment] = true;
    else node = node[segment] = existing ?? {};
  }
}

/** Apply a projection, keeping the document's own key order. */
export function project(doc: JsonObject, projection: Projection | undefined): JsonObject {
  if (!projection) return doc;
  if (projection.mode === 'include') return (include(doc, projection.tree) as JsonObject | undefined) ?? {};
  return exclude(doc, projection.tree) as JsonObject;
}

function include(value: Json, tree: ProjectionTree): Json | undefined {
  if (Array.isArray(value)) {
    return value.filter((e) => isObject(e) || Array.isArray(e)).map((e) => include(e, tree) ?? {});
  }
  if (!isObject(value)) return undefined;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    const sub = tree[key];
    if (sub === undefined) continue;
    const projected = sub === true ? v : include(v, sub);
    if (projected !== undefined) out[key] = projected;
  }
  return out;
}

function exclude(value: Json, tree: ProjectionTree): Json {
  if (Array.isArray(value)) return value.map((e) => exclude(e, tree));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    const sub = tree[key];
    if (sub === true) continue;
    out[key] = sub === undefined ? v : exclude(v, sub);
  }
  return out;
}

/**
 * The value a document sorts by on a path, MongoDB's way: missing is null; an array sorts by its
 * smallest element ascending and its largest descending.
 */
function sortValue(doc: Json, key: SortKey): Json {
  const values: Json[] = [];
  for (const leaf of resolvePath(doc, key.path)) {
    if (leaf === MISSING) values.push(null);
    else if (Array.isArray(leaf)) values.push(...(leaf.length === 0 ? [null] : leaf));
    else values.push(leaf);
  }
  if (values.length === 0) return null;
  return values.reduce((best, v) => (compareValues(v, best) * key.direction < 0 ? v : best));
}

/** Sort documents (stable: ties keep the order they came in, which is creation order). */
export function sortDocuments<T extends Json>(docs: T[], sort: SortKey[]): T[] {
  const keyed = docs.map((doc) => ({ doc, keys: sort.map((k) => sortValue(doc, k)) }));
  keyed.sort((a, b) => {
    for (const [i, key] of sort.entries()) {
      const c = compareValues(a.keys[i], b.keys[i]);
      if (c !== 0) return c * key.direction;
    }
    return 0;
  });
  return keyed.map((k) => k.doc);
}
