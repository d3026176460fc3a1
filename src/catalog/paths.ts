import { AppError } from '../errors/index.js';
import { isEntryField } from './entry.js';
import { isObject, type Json } from './json.js';

/** A dotted field path split into its segments: `container_registry_metadata.region`. */
export type Path = readonly string[];

/** What a path reaches where the document has nothing. */
export const MISSING: unique symbol = Symbol('missing');
export type Leaf = Json | typeof MISSING;

const indexPattern = /^(0|[1-9]\d{0,8})$/;

export function isIndex(segment: string): boolean {
  return indexPattern.test(segment);
}

/**
 * Split and check a dotted path. Its first segment must be one of the eight entry fields, so a typo
 * is a 400 rather than a filter that silently matches nothing.
 */
export function parsePath(text: string, where: string): string[] {
  const segments = text.split('.');
  if (segments.some((s) => s === '' || s.startsWith('$') || s === '__proto__')) {
    throw new AppError('CATALOG_REQUEST_INVALID', `${where}: invalid field path '${text}'`);
  }
  if (!isEntryField(segments[0]!)) {
    throw new AppError(
      'CATALOG_REQUEST_INVALID',
      `${where}: unknown field '${segments[0]}' (fields are container_registry_id, _name, _metadata, _tags, _public_url, _image_prefix, _config, _storage_info)`,
    );
  }
  return segments;
}

/**
 * Every value a path reaches, MongoDB's way: through objects by key, through an array by index when
 * the segment is a number, and otherwise into each element of the array. A branch that ends short
 * yields MISSING. Arrays at the end are returned whole (operators look into them).
 */
export function resolvePath(value: Json | undefined, path: Path): Leaf[] {
  const out: Leaf[] = [];
  walk(value, path, 0, out);
  return out;
}

function walk(value: Json | undefined, path: Path, i: number, out: Leaf[]): void {
  if (value === undefined) {
    out.push(MISSING);
    return;
  }
  if (i === path.length) {
    out.push(value);
    return;
  }
  const segment = path[i]!;
  if (isObject(value)) {
    walk(Object.hasOwn(value, segment) ? value[segment] : undefined, path, i + 1, out);
  } else if (Array.isArray(value)) {
    if (isIndex(segment)) {
      walk(value[Number(segment)], path, i + 1, out);
      return;
    }
    if (value.length === 0) out.push(MISSING);
    for (const element of value) {
      if (isObject(element)) walk(element, path, i, out);
      else out.push(MISSING);
    }
  } else {
    out.push(MISSING);
  }
}

export function pathText(path: Path): string {
  return path.join('.');
}
