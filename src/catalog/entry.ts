import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors/index.js';
import { isObject, type Json, type JsonObject } from './json.js';

export const storageTypes = ['s3', 'object-store', 'fs', 'unknown'] as const;
export const registryTypes = ['aios', 'external'] as const;
export type StorageType = (typeof storageTypes)[number];
export type RegistryType = (typeof registryTypes)[number];

export interface StorageInfo {
  storage_type: StorageType;
  /** MB, or -1 for unlimited. */
  storage_size: number;
  /** MB, or -1 if unknown or unlimited. */
  memory_size: number;
  registry_type: RegistryType;
  [extra: string]: Json;
}

/** A catalog entry: the AIOS container-registry schema, field for field. */
// A type, not an interface: it is then assignable to JsonObject.
export type CatalogEntry = {
  container_registry_id: string;
  container_registry_name: string;
  container_registry_metadata: JsonObject;
  container_registry_tags: string[];
  container_registry_public_url: string;
  container_registry_image_prefix: string;
  container_registry_config: JsonObject;
  container_registry_storage_info: StorageInfo;
};

/** The eight fields, in the reference's order (responses keep it). */
export const entryFields = [
  'container_registry_id',
  'container_registry_name',
  'container_registry_metadata',
  'container_registry_tags',
  'container_registry_public_url',
  'container_registry_image_prefix',
  'container_registry_config',
  'container_registry_storage_info',
] as const;
export type EntryField = (typeof entryFields)[number];

export function isEntryField(name: string): name is EntryField {
  return (entryFields as readonly string[]).includes(name);
}

/** Ids are path segments: 1–100 printable characters without '/', whitespace or controls. */
export const idPattern = /^[^\s/\p{Cc}]{1,100}$/u;

const jsonObject = z.custom<JsonObject>((v) => isObject(v), { message: 'expected an object' });

const mb = z.number().int().min(-1, { message: 'expected a size in MB, or -1' });

const storageInfoSchema = z.looseObject({
  storage_type: z.enum(storageTypes).default('unknown'),
  storage_size: mb.default(-1),
  memory_size: mb.default(-1),
  registry_type: z.enum(registryTypes).default('external'),
});

const entrySchema = z.strictObject({
  container_registry_id: z
    .string()
    .regex(idPattern, { message: "expected 1-100 characters without '/' or whitespace" })
    .optional(),
  container_registry_name: z.string().max(256).default(''),
  container_registry_metadata: jsonObject.default({}),
  container_registry_tags: z.array(z.string().min(1).max(256)).max(1000).default([]),
  container_registry_public_url: z.string().max(2048).default(''),
  container_registry_image_prefix: z.string().max(2048).default(''),
  container_registry_config: jsonObject.default({}),
  container_registry_storage_info: storageInfoSchema.prefault({}),
});

/** Keys MongoDB would refuse in a stored document; they also could not be addressed by a dotted path. */
function checkKeys(value: unknown, path: string, depth = 0): void {
  if (depth > 32) throw invalid(`${path}: nested more than 32 levels deep`);
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkKeys(v, `${path}.${i}`, depth + 1));
  } else if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (key === '' || key.includes('.') || key.startsWith('$') || key === '__proto__') {
        throw invalid(
          `${path}: field name ${JSON.stringify(key)} is not allowed (empty, '.', a leading '$')`,
        );
      }
      checkKeys(v, `${path}.${key}`, depth + 1);
    }
  }
}

function invalid(message: string): AppError {
  return new AppError('CATALOG_REQUEST_INVALID', message);
}

/**
 * Validate an entry and fill the reference's defaults (a missing id gets a new UUID; storage_info
 * gets storage_type "unknown", sizes -1 and registry_type "external"). Throws a 400 naming the field.
 */
export function normalizeEntry(input: unknown): CatalogEntry {
  if (!isObject(input)) throw invalid('a container registry must be a JSON object');
  const result = entrySchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.length ? `${issue.path.join('.')}.` : '';
      throw invalid(`unknown field ${issue.keys.map((k) => `'${at}${k}'`).join(', ')}`);
    }
    throw invalid(`${issue.path.join('.') || '(entry)'}: ${issue.message}`);
  }
  const e = result.data;
  checkKeys(e.container_registry_metadata, 'container_registry_metadata');
  checkKeys(e.container_registry_config, 'container_registry_config');
  checkKeys(e.container_registry_storage_info, 'container_registry_storage_info');
  const { storage_type, storage_size, memory_size, registry_type, ...extra } =
    e.container_registry_storage_info;
  return {
    container_registry_id: e.container_registry_id ?? randomUUID(),
    container_registry_name: e.container_registry_name,
    container_registry_metadata: e.container_registry_metadata,
    container_registry_tags: e.container_registry_tags,
    container_registry_public_url: e.container_registry_public_url,
    container_registry_image_prefix: e.container_registry_image_prefix,
    container_registry_config: e.container_registry_config,
    container_registry_storage_info: {
      storage_type,
      storage_size,
      memory_size,
      registry_type,
      ...(extra as JsonObject),
    },
  };
}
