/** JSON values and the comparison rules the catalog's queries use (MongoDB's, for JSON types). */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compare two strings by Unicode code point: the order of UTF-8 bytes, of SQLite and PostgreSQL's "C". */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–DFFF) encode code points above U+FFFF, which sort after every BMP character.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * The rank of a value's type in the sort order (MongoDB's BSON order for the JSON types):
 * null (and missing) < numbers < strings < objects < arrays < booleans.
 */
export function typeRank(value: Json | undefined): number {
  if (value === null || value === undefined) return 0;
  switch (typeof value) {
    case 'number':
      return 1;
    case 'string':
      return 2;
    case 'boolean':
      return 5;
    default:
      return Array.isArray(value) ? 4 : 3;
  }
}

/** A total order over JSON values: by type rank, then by value (objects by their entries in order). */
export function compareValues(a: Json | undefined, b: Json | undefined): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (a === null || a === undefined || b === null || b === undefined) return 0;
  if (typeof a === 'number') return a === b ? 0 : a < (b as number) ? -1 : 1;
  if (typeof a === 'string') return compareStrings(a, b as string);
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a)) {
    const bb = b as Json[];
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = compareValues(a[i], bb[i]);
      if (c !== 0) return c;
    }
    return a.length - bb.length;
  }
  const ea = Object.entries(a);
  const eb = Object.entries(b as JsonObject);
  for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
    const k = compareStrings(ea[i]![0], eb[i]![0]);
    if (k !== 0) return k;
    const v = compareValues(ea[i]![1], eb[i]![1]);
    if (v !== 0) return v;
  }
  return ea.length - eb.length;
}

/** Deep equality. Objects are equal when they have the same keys with equal values, in any order. */
export function jsonEquals(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as Json[];
    return a.length === bb.length && a.every((v, i) => jsonEquals(v, bb[i]));
  }
  const ka = Object.keys(a);
  const bo = b as JsonObject;
  if (ka.length !== Object.keys(bo).length) return false;
  return ka.every((k) => Object.hasOwn(bo, k) && jsonEquals((a as JsonObject)[k], bo[k]));
}

export function cloneJson<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** A JSON value's type in words, for error messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** The strings among `values`, in order. */
export function stringValues(values: readonly unknown[]): string[] {
  return values.filter((v): v is string => typeof v === 'string');
}
