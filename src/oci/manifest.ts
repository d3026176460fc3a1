import { AppError } from '../errors/index.js';
import { parseDigest } from './digest.js';
import {
  isUntypedManifestContentType,
  manifestKind,
  manifestMediaTypes,
  mediaTypes,
  type ManifestKind,
} from './media-types.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
}

/** What the registry needs to know about a manifest it is asked to store. */
export interface ParsedManifest {
  mediaType: string;
  kind: ManifestKind;
  /** Blobs (config and layers) of an image manifest. */
  blobs: Descriptor[];
  /** Child manifests of an index. */
  manifests: Descriptor[];
  subject: Descriptor | null;
  artifactType: string | null;
  annotations: Record<string, string> | null;
}

function invalid(message: string, detail?: unknown): AppError {
  return new AppError('MANIFEST_INVALID', message, detail);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function annotationsOf(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw invalid(`${where}.annotations must be a map of strings`);
  }
  return value as Record<string, string>;
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw invalid(`${where} must be a descriptor object`);
  const { mediaType, digest, size, artifactType, urls } = value;
  if (typeof mediaType !== 'string' || mediaType.length === 0)
    throw invalid(`${where}.mediaType is required`);
  if (typeof digest !== 'string' || !parseDigest(digest)) {
    throw invalid(`${where}.digest is not a valid digest`, { digest });
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${where}.size must be a non-negative integer`);
  }
  if (artifactType !== undefined && typeof artifactType !== 'string') {
    throw invalid(`${where}.artifactType must be a string`);
  }
  if (urls !== undefined && (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string'))) {
    throw invalid(`${where}.urls must be a list of strings`);
  }
  return {
    mediaType,
    digest,
    size,
    artifactType: artifactType as string | undefined,
    annotations: annotationsOf(value.annotations, where),
    urls: urls as string[] | undefined,
  };
}

function descriptors(value: unknown, where: string): Descriptor[] {
  if (!Array.isArray(value)) throw invalid(`${where} must be a list of descriptors`);
  return value.map((d, i) => descriptor(d, `${where}[${i}]`));
}

/**
 * Parse and check a manifest body. The media type comes from the Content-Type header, or from the
 * body's own mediaType field when the header is absent or plain JSON; the two must agree when both
 * name one. Any other Content-Type is refused.
 */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  if (header !== undefined && !isUntypedManifestContentType(header) && !manifestKind(header)) {
    throw invalid(`Content-Type '${header.slice(0, 100)}' is not a manifest media type`, {
      contentType: header.slice(0, 100),
      accepted: manifestMediaTypes,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('manifest is not valid JSON');
  }
  if (!isObject(json)) throw invalid('manifest must be a JSON object');
  if (json.schemaVersion !== 2) throw invalid('manifest schemaVersion must be 2');

  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  if (json.mediaType !== undefined && declared === undefined)
    throw invalid('manifest mediaType must be a string');
  const headerNamesManifest = header !== undefined && manifestKind(header) !== undefined;
  const mediaType = headerNamesManifest ? header : (declared ?? inferMediaType(json));
  if (headerNamesManifest && declared !== undefined && declared !== header) {
    throw invalid('manifest mediaType does not match Content-Type', {
      mediaType: declared,
      contentType: header,
    });
  }
  const kind = manifestKind(mediaType);
  if (!kind) {
    throw invalid('unsupported manifest media type', { mediaType });
  }

  const subject = json.subject === undefined ? null : descriptor(json.subject, 'subject');
  const annotations = annotationsOf(json.annotations, 'manifest') ?? null;
  if (json.artifactType !== undefined && typeof json.artifactType !== 'string') {
    throw invalid('artifactType must be a string');
  }

  if (kind === 'index') {
    return {
      mediaType,
      kind,
      blobs: [],
      manifests: descriptors(json.manifests, 'manifests'),
      subject,
      artifactType: (json.artifactType as string | undefined) ?? null,
      annotations,
    };
  }
  const config = descriptor(json.config, 'config');
  const layers = descriptors(json.layers, 'layers');
  // The referrers API types a manifest without artifactType by its config's media type.
  const artifactType = (json.artifactType as string | undefined) ?? config.mediaType;
  return { mediaType, kind, blobs: [config, ...layers], manifests: [], subject, artifactType, annotations };
}

/** An OCI manifest may omit mediaType; its shape then tells what it is. */
function inferMediaType(json: Record<string, unknown>): string {
  if (Array.isArray(json.manifests)) return mediaTypes.ociIndex;
  if (isObject(json.config)) return mediaTypes.ociManifest;
  throw invalid('manifest media type is unknown');
}
