import { createHash } from 'node:crypto';
import type { AssetKind } from './kinds.js';
import {
  arcaArtifactType,
  arcaConfigType,
  layerMediaType,
  modelPack,
  titleAnnotation,
} from './media-types.js';
import type { FileInput } from './publish-input.js';

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';

/** The bytes of a version's artifact: its config blob and its manifest. */
export interface BuiltArtifact {
  config: { mediaType: string; bytes: Buffer; digest: string };
  manifest: Buffer;
  /** Each file's layer media type, in file order. */
  mediaTypes: string[];
}

export interface ArtifactInput {
  kind: AssetKind;
  name: string;
  version: string;
  description: string;
  card: Record<string, unknown> | null;
  spec: Record<string, unknown> | null;
  files: FileInput[];
  createdAt: Date;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function licenseOf(card: Record<string, unknown> | null): string[] | undefined {
  const license = (card?.metadata as Record<string, unknown> | undefined)?.license;
  return typeof license === 'string' ? [license] : undefined;
}

/** ModelPack's config for a model (`descriptor`, `config`, `modelfs`); Arca's of the same shape otherwise. */
function configOf(input: ArtifactInput): { mediaType: string; json: unknown } {
  const diffIds = input.files.map((f) => f.digest);
  const descriptor = {
    createdAt: input.createdAt.toISOString(),
    name: input.name,
    version: input.version,
    ...(input.description ? { description: input.description } : {}),
    ...(licenseOf(input.card) ? { licenses: licenseOf(input.card) } : {}),
  };
  if (input.kind === 'model') {
    const framework = (input.card?.metadata as Record<string, unknown> | undefined)?.framework;
    return {
      mediaType: modelPack.config,
      json: {
        descriptor,
        config: typeof framework === 'string' ? { format: framework } : {},
        modelfs: { type: 'layers', diffIds },
      },
    };
  }
  return {
    mediaType: arcaConfigType(input.kind),
    json: {
      descriptor,
      ...(input.spec ? { spec: input.spec } : {}),
      ...(input.card ? { card: input.card } : {}),
      fs: { type: 'layers', diffIds },
    },
  };
}

/**
 * A version as an OCI artifact: one raw layer per file, its path in the title annotation (and
 * ModelPack's filepath annotation for models), typed by kind and file role.
 */
export function buildArtifact(input: ArtifactInput): BuiltArtifact {
  const config = configOf(input);
  const configBytes = Buffer.from(JSON.stringify(config.json));
  const mediaTypes = input.files.map((f) => f.mediaType ?? layerMediaType(input.kind, f.path));
  const manifest = {
    schemaVersion: 2,
    mediaType: ociManifest,
    artifactType: input.kind === 'model' ? modelPack.artifactType : arcaArtifactType(input.kind),
    config: { mediaType: config.mediaType, digest: sha256(configBytes), size: configBytes.length },
    layers: input.files.map((f, i) => ({
      mediaType: mediaTypes[i]!,
      digest: f.digest,
      size: f.size,
      annotations: {
        [titleAnnotation]: f.path,
        ...(input.kind === 'model' ? { [modelPack.filepath]: f.path } : {}),
      },
    })),
    annotations: {
      'org.opencontainers.image.created': input.createdAt.toISOString(),
      'org.opencontainers.image.version': input.version,
    },
  };
  return {
    config: { mediaType: config.mediaType, bytes: configBytes, digest: sha256(configBytes) },
    manifest: Buffer.from(JSON.stringify(manifest)),
    mediaTypes,
  };
}
