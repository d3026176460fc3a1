import { parse as parseYaml } from 'yaml';
import { AppError } from '../errors/index.js';
import { checkCard, checkSpec } from './cards.js';
import { filePathProblem } from './file-path.js';
import { assertVersion, type AssetKind } from './kinds.js';
import { checkMetadata, type AssetMetadata } from './metadata.js';

const digestPattern = /^sha256:[a-f0-9]{64}$/;
const mediaTypePattern = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
/** Files of one version at most (one layer each). */
export const maxFiles = 10_000;

export interface FileInput {
  path: string;
  digest: string;
  size: number;
  mediaType?: string;
}

/** A publish request, checked: nothing in it is used before this passes. */
export interface PublishInput extends AssetMetadata {
  version: string;
  type: string | null;
  card: Record<string, unknown> | null;
  spec: Record<string, unknown> | null;
  lineage: string[];
  files: FileInput[];
}

function bad(message: string, detail?: unknown): AppError {
  return new AppError('ASSET_INVALID', message, detail);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A card may come as an object, or as YAML or JSON text (a card file read as is). */
function cardValue(card: unknown): unknown {
  if (typeof card !== 'string') return card;
  try {
    return parseYaml(card, { maxAliasCount: 100 }) as unknown;
  } catch (err) {
    throw new AppError(
      'ASSET_CARD_INVALID',
      `card: not valid YAML or JSON (${(err as Error).message.split('\n')[0]})`,
      {
        field: 'card',
      },
    );
  }
}

function file(value: unknown, i: number, seen: Set<string>): FileInput {
  const where = `files[${i}]`;
  if (!isObject(value)) throw bad(`${where}: expected { path, digest, size }`);
  const { path, digest, size, mediaType } = value;
  if (typeof path !== 'string') throw bad(`${where}.path: required`);
  const problem = filePathProblem(path);
  if (problem)
    throw bad(`${where}.path ${JSON.stringify(path.slice(0, 200))} ${problem}`, { field: `${where}.path` });
  if (seen.has(path))
    throw bad(`${where}.path '${path.slice(0, 200)}' appears twice`, { field: `${where}.path` });
  seen.add(path);
  if (typeof digest !== 'string' || !digestPattern.test(digest))
    throw bad(`${where}.digest: expected sha256:<64 hex>`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw bad(`${where}.size: a non-negative integer`);
  if (mediaType !== undefined && (typeof mediaType !== 'string' || !mediaTypePattern.test(mediaType)))
    throw bad(`${where}.mediaType: not a media type`);
  return { path, digest, size, ...(mediaType !== undefined ? { mediaType } : {}) };
}

/** Check a publish body for an asset of `kind`. */
export function parsePublishInput(kind: AssetKind, body: unknown): PublishInput {
  if (!isObject(body)) throw bad('body: expected a JSON object');
  const rawVersion = typeof body.version === 'number' ? String(body.version) : body.version;
  if (typeof rawVersion !== 'string') throw bad('version: required');
  const version = assertVersion(rawVersion);
  if (!Array.isArray(body.files)) throw bad('files: required, a list of { path, digest, size }');
  if (body.files.length > maxFiles) throw bad(`files: at most ${maxFiles}`);
  const seen = new Set<string>();
  const files = body.files.map((f, i) => file(f, i, seen));
  if (body.type !== undefined && typeof body.type !== 'string') throw bad('type: a string');
  const spec = checkSpec(
    kind,
    body.type === undefined ? body.spec : { ...(isObject(body.spec) ? body.spec : {}), type: body.type },
  );
  const type = (typeof body.type === 'string' ? body.type : (spec?.type as string | undefined)) ?? null;
  const card = checkCard(kind, cardValue(body.card));
  if (
    body.lineage !== undefined &&
    (!Array.isArray(body.lineage) || body.lineage.some((l) => typeof l !== 'string'))
  )
    throw new AppError('ASSET_LINEAGE_INVALID', 'lineage: a list of asset addresses');
  const lineage = [...new Set((body.lineage as string[] | undefined) ?? [])];
  if (lineage.length > 100) throw new AppError('ASSET_LINEAGE_INVALID', 'lineage: at most 100 links');
  const description =
    body.description ?? (card && typeof card.description === 'string' ? card.description : undefined);
  return {
    version,
    ...checkMetadata({ description, tags: body.tags, properties: body.properties }),
    type,
    card,
    spec,
    lineage,
    files,
  };
}
