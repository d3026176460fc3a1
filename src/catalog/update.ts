import { AppError } from '../errors/index.js';
import { cloneJson, isObject, jsonEquals, typeName, type Json, type JsonObject } from './json.js';
import {
  defaultFilterLimits,
  parseElementCondition,
  type ElementCondition,
  type FilterLimits,
} from './filter.js';
import { holds, matches } from './matcher.js';
import { isIndex, parsePath, pathText, type Path } from './paths.js';
import type { EntryField } from './entry.js';

export const updateOperators = ['$set', '$unset', '$push', '$pull', '$addToSet', '$inc'] as const;
type UpdateOperator = (typeof updateOperators)[number];

type Step =
  | { op: '$set'; path: Path; value: Json }
  | { op: '$unset'; path: Path }
  | { op: '$inc'; path: Path; by: number }
  | { op: '$push' | '$addToSet'; path: Path; values: Json[] }
  | { op: '$pull'; path: Path; condition: ElementCondition };

/** A parsed update document (MongoDB's update operators over JSON). */
export interface Update {
  readonly steps: readonly Step[];
}

function invalid(message: string): AppError {
  return new AppError('CATALOG_REQUEST_INVALID', message);
}

/**
 * Parse `{"$set": {"container_registry_name": "updated-name"}}` and the other operators. A body of
 * plain fields (no operator) is a `$set` of those fields, as the reference's description of PUT says.
 */
export function parseUpdate(input: unknown, limits: FilterLimits = defaultFilterLimits): Update {
  if (!isObject(input)) throw invalid(`update: expected an object, got ${typeName(input)}`);
  const keys = Object.keys(input);
  if (keys.length === 0) throw invalid('update: empty; give fields to change or operators such as $set');
  const operators = keys.filter((k) => k.startsWith('$'));
  if (operators.length > 0 && operators.length < keys.length) {
    throw invalid('update: cannot mix operators ($set, …) and plain fields');
  }
  const body: Record<string, unknown> = operators.length === 0 ? { $set: input } : input;
  const steps: Step[] = [];
  for (const [op, args] of Object.entries(body)) {
    if (!(updateOperators as readonly string[]).includes(op)) {
      throw invalid(`update: unknown operator ${op} (known: ${updateOperators.join(' ')})`);
    }
    if (!isObject(args))
      throw invalid(`update.${op}: expected an object of field paths, got ${typeName(args)}`);
    for (const [key, arg] of Object.entries(args)) {
      const path = parsePath(key, `update.${op}`);
      steps.push(parseStep(op as UpdateOperator, path, arg, `update.${op}.${key}`, limits));
    }
  }
  checkConflicts(steps);
  return { steps };
}

/** `limits`: a `$pull` condition is a filter, as wide as a query's may be. */
function parseStep(op: UpdateOperator, path: Path, arg: Json, where: string, limits: FilterLimits): Step {
  switch (op) {
    case '$set':
      return { op, path, value: arg };
    case '$unset':
      return { op, path };
    case '$inc':
      if (typeof arg !== 'number') throw invalid(`${where}: $inc needs a number, got ${typeName(arg)}`);
      return { op, path, by: arg };
    case '$push':
    case '$addToSet': {
      if (isObject(arg) && Object.keys(arg).some((k) => k.startsWith('$'))) {
        const other = Object.keys(arg).find((k) => k !== '$each');
        if (other !== undefined) throw invalid(`${where}: unsupported modifier ${other} (only $each)`);
        if (!Array.isArray(arg.$each)) throw invalid(`${where}.$each: expected an array`);
        return { op, path, values: arg.$each };
      }
      return { op, path, values: [arg] };
    }
    case '$pull':
      return { op, path, condition: parseElementCondition(arg, where, limits) };
  }
}

/** Two steps on the same path, or on a path and a path inside it, would contradict each other. */
function checkConflicts(steps: Step[]): void {
  for (let i = 0; i < steps.length; i++) {
    for (let j = i + 1; j < steps.length; j++) {
      const a = steps[i]!.path;
      const b = steps[j]!.path;
      const n = Math.min(a.length, b.length);
      if (a.slice(0, n).every((s, k) => s === b[k])) {
        throw invalid(`update: '${pathText(a)}' and '${pathText(b)}' conflict (one contains the other)`);
      }
    }
  }
}

/** The top-level fields an update writes. */
export function touchedFields(update: Update): Set<EntryField> {
  return new Set(update.steps.map((s) => s.path[0] as EntryField));
}

type Container = JsonObject | Json[];

/**
 * Apply an update to a copy of `doc`. The result is not validated here: the caller normalizes it as a
 * whole, so a wrong type anywhere is reported once, with its field.
 */
export function applyUpdate(doc: JsonObject, update: Update): JsonObject {
  const out = cloneJson(doc);
  for (const step of update.steps) {
    const where = `update.${step.op}.${pathText(step.path)}`;
    if (
      step.path[0] === 'container_registry_id' &&
      !(step.op === '$set' && jsonEquals(step.value, doc[step.path[0]]))
    ) {
      throw invalid(`${where}: container_registry_id cannot be changed`);
    }
    const create = step.op !== '$unset' && step.op !== '$pull';
    const parent = parentOf(out, step.path, create, where);
    if (!parent) continue;
    const key = step.path.at(-1)!;
    const current = read(parent, key);
    switch (step.op) {
      case '$set':
        write(parent, key, step.value, where);
        break;
      case '$unset':
        if (Array.isArray(parent)) write(parent, key, null, where);
        else delete parent[key];
        break;
      case '$inc':
        if (current !== undefined && typeof current !== 'number') {
          throw invalid(`${where}: $inc needs a number there, found ${typeName(current)}`);
        }
        write(parent, key, (current ?? 0) + step.by, where);
        break;
      case '$push':
      case '$addToSet': {
        if (current !== undefined && !Array.isArray(current)) {
          throw invalid(`${where}: ${step.op} needs an array there, found ${typeName(current)}`);
        }
        const list = [...(current ?? [])];
        for (const value of step.values) {
          if (step.op === '$push' || !list.some((e) => jsonEquals(e, value))) list.push(value);
        }
        write(parent, key, list, where);
        break;
      }
      case '$pull':
        if (current === undefined) break;
        if (!Array.isArray(current))
          throw invalid(`${where}: $pull needs an array there, found ${typeName(current)}`);
        write(
          parent,
          key,
          current.filter((e) => !elementMatches(e, step.condition)),
          where,
        );
        break;
    }
  }
  return out;
}

function elementMatches(element: Json, condition: ElementCondition): boolean {
  switch (condition.kind) {
    case 'value':
      return jsonEquals(element, condition.value);
    case 'filter':
      return isObject(element) && matches(element, condition.filter);
    case 'conditions':
      return condition.conditions.every((c) => holds([element], c));
  }
}

/** The object or array holding the path's last segment; created on the way when `create`. */
function parentOf(doc: JsonObject, path: Path, create: boolean, where: string): Container | undefined {
  let current: Container = doc;
  for (const [i, segment] of path.slice(0, -1).entries()) {
    let next = read(current, segment, where);
    if (next === undefined) {
      if (!create) return undefined;
      next = {};
      write(current, segment, next, where);
    }
    if (!isObject(next) && !Array.isArray(next)) {
      if (!create) return undefined;
      throw invalid(
        `${where}: cannot create field '${path[i + 1]}' inside a ${typeName(next)} ('${segment}')`,
      );
    }
    current = next;
  }
  return current;
}

function read(container: Container, key: string, where?: string): Json | undefined {
  if (Array.isArray(container)) {
    if (!isIndex(key)) {
      if (where === undefined) return undefined;
      throw invalid(`${where}: '${key}' is not an index into an array`);
    }
    return container[Number(key)];
  }
  return Object.hasOwn(container, key) ? container[key] : undefined;
}

function write(container: Container, key: string, value: Json, where: string): void {
  if (Array.isArray(container)) {
    if (!isIndex(key)) throw invalid(`${where}: '${key}' is not an index into an array`);
    const index = Number(key);
    if (index > 10_000) throw invalid(`${where}: array index ${index} is too large`);
    while (container.length < index) container.push(null);
    container[index] = value;
    return;
  }
  Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}
