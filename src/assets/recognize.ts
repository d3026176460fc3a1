import type { ParsedManifest } from '../oci/index.js';
import { filePathProblem } from './file-path.js';
import { assetKinds, isVersion, parseAssetRepository, type AssetKey, type AssetKind } from './kinds.js';
import {
  arcaArtifactType,
  arcaConfigType,
  assetKindAnnotation,
  kitOps,
  legacyModelPack,
  modelPack,
  titleAnnotation,
} from './media-types.js';

export type AssetFormat = 'arca' | 'modelpack' | 'modelkit' | 'image';

export interface RecognizedFile {
  /** Null when the layer names no path, or one that is not a valid file path (then flagged). */
  path: string | null;
  size: number;
  digest: string;
  mediaType: string;
}

/** A manifest recognized as a version of an asset. */
export interface RecognizedVersion {
  key: AssetKey;
  version: string;
  format: AssetFormat;
  files: RecognizedFile[];
  /** What is wrong with it: hostile or duplicate paths. Listed; such files have no path. */
  flags: string[];
}

/** The format of an image manifest and the kind it carries, or undefined when it is no asset. */
export function formatOf(manifest: ParsedManifest): { format: AssetFormat; kind: AssetKind } | undefined {
  if (manifest.kind !== 'image' || manifest.blobs.length === 0) return undefined;
  const config = manifest.blobs[0]!.mediaType;
  const artifactType = manifest.artifactType;
  const either = (...types: string[]) =>
    types.includes(config) || (artifactType !== null && types.includes(artifactType));
  if (either(modelPack.artifactType, modelPack.config, legacyModelPack.artifactType, legacyModelPack.config))
    return { format: 'modelpack', kind: 'model' };
  if (either(kitOps.artifactType, kitOps.config)) return { format: 'modelkit', kind: 'model' };
  for (const kind of assetKinds) {
    if (kind !== 'model' && either(arcaArtifactType(kind), arcaConfigType(kind)))
      return { format: 'arca', kind };
  }
  const marked = manifest.annotations?.[assetKindAnnotation];
  if (marked && (assetKinds as readonly string[]).includes(marked))
    return { format: 'image', kind: marked as AssetKind };
  return undefined;
}

/** KitOps layer category: `model`, `modelpart`, `dataset`, `code`, `docs`. */
function kitCategory(mediaType: string): string | undefined {
  if (!mediaType.startsWith(kitOps.layerPrefix)) return undefined;
  return mediaType.slice(kitOps.layerPrefix.length).split('.')[0];
}

/** Paths a Kitfile gives its layers, per category in order (KitOps packs in Kitfile order). */
function kitfilePaths(kitfile: unknown): Map<string, string[]> {
  const paths = new Map<string, string[]>();
  if (typeof kitfile !== 'object' || kitfile === null) return paths;
  const k = kitfile as Record<string, unknown>;
  const pathOf = (v: unknown) =>
    typeof v === 'object' && v !== null && typeof (v as { path?: unknown }).path === 'string'
      ? [(v as { path: string }).path]
      : [];
  const list = (v: unknown) => (Array.isArray(v) ? v.flatMap(pathOf) : []);
  const model = k.model as Record<string, unknown> | undefined;
  paths.set('model', pathOf(model));
  paths.set('modelpart', list(model?.parts));
  paths.set('dataset', list(k.datasets));
  paths.set('code', list(k.code));
  paths.set('docs', list(k.docs));
  return paths;
}

/**
 * Is this put a version of an asset? Only a tagged image manifest in `<registry>/<kind>s/<name>`
 * whose format carries that kind (ModelPack or a ModelKit for models, Arca's types, or an image
 * marked with `ai.arca.asset.kind`). Files come from the layers' title or filepath annotations (a
 * ModelKit's from its Kitfile); a path that is not a valid relative file path is never used.
 */
export function recognizeVersion(
  repository: string,
  tag: string | null,
  manifest: ParsedManifest,
  config?: unknown,
): RecognizedVersion | undefined {
  const key = parseAssetRepository(repository);
  if (!key || tag === null || !isVersion(tag)) return undefined;
  const found = formatOf(manifest);
  if (!found || found.kind !== key.kind) return undefined;
  const kitPaths = found.format === 'modelkit' ? kitfilePaths(config) : new Map<string, string[]>();
  const flags: string[] = [];
  const seen = new Set<string>();
  const files = manifest.blobs.slice(1).map((layer, i): RecognizedFile => {
    const a = layer.annotations ?? {};
    const category = kitCategory(layer.mediaType);
    const named =
      a[titleAnnotation] ??
      a[modelPack.filepath] ??
      a[legacyModelPack.filepath] ??
      (category !== undefined ? kitPaths.get(category)?.shift() : undefined);
    let path: string | null = null;
    if (named !== undefined) {
      const problem = filePathProblem(named);
      if (problem) flags.push(`layers[${i}]: path ${JSON.stringify(named.slice(0, 200))} ${problem}`);
      else if (seen.has(named))
        flags.push(`layers[${i}]: path ${JSON.stringify(named.slice(0, 200))} appears twice`);
      else path = named;
      if (path !== null) seen.add(path);
    }
    return { path, size: layer.size, digest: layer.digest, mediaType: layer.mediaType };
  });
  return { key, version: tag, format: found.format, files, flags };
}

/** A description from the config a format carries (ModelPack's descriptor, a Kitfile's package). */
export function describedBy(format: AssetFormat, config: unknown): string {
  if (typeof config !== 'object' || config === null) return '';
  const c = config as Record<string, Record<string, unknown> | undefined>;
  const text =
    format === 'modelkit'
      ? (c.package?.description ?? c.model?.description)
      : (c.descriptor?.description ?? c.descriptor?.title);
  return typeof text === 'string' ? text.slice(0, 65_536) : '';
}
