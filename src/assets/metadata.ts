import { AppError } from '../errors/index.js';

/** What every asset and version may carry: a description, tags and free properties. */
export interface AssetMetadata {
  description: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
}

const keyPattern = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}$/;

function map(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    // A list of tags (LLMOS) is a map of tags without values.
    return map(Object.fromEntries(value.map((v) => [v, ''])), field);
  }
  if (typeof value !== 'object' || Array.isArray(value))
    throw new AppError('ASSET_INVALID', `${field}: a map of strings`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 100) throw new AppError('ASSET_INVALID', `${field}: at most 100 entries`);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (!keyPattern.test(k))
      throw new AppError('ASSET_INVALID', `${field}: '${k.slice(0, 140)}' is not a key`);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new AppError('ASSET_INVALID', `${field}.${k}: a string`);
    const s = String(v);
    if (s.length > 1024) throw new AppError('ASSET_INVALID', `${field}.${k}: at most 1024 characters`);
    out[k] = s;
  }
  return out;
}

/** Check description, tags and properties (absent ones are empty). */
export function checkMetadata(input: {
  description?: unknown;
  tags?: unknown;
  properties?: unknown;
}): AssetMetadata {
  const { description } = input;
  if (description !== undefined && description !== null && typeof description !== 'string')
    throw new AppError('ASSET_INVALID', 'description: a string');
  if (typeof description === 'string' && description.length > 65_536)
    throw new AppError('ASSET_INVALID', 'description: at most 65,536 characters');
  return {
    description: typeof description === 'string' ? description : '',
    tags: map(input.tags, 'tags'),
    properties: map(input.properties, 'properties'),
  };
}
