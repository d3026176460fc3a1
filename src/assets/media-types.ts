import type { AssetKind } from './kinds.js';

/** CNCF ModelPack (model-spec v0.0.7) and its names before mid-2025 (`vnd.cnai`). */
export const modelPack = {
  artifactType: 'application/vnd.cncf.model.manifest.v1+json',
  config: 'application/vnd.cncf.model.config.v1+json',
  weight: 'application/vnd.cncf.model.weight.v1.raw',
  weightConfig: 'application/vnd.cncf.model.weight.config.v1.raw',
  doc: 'application/vnd.cncf.model.doc.v1.raw',
  code: 'application/vnd.cncf.model.code.v1.raw',
  dataset: 'application/vnd.cncf.model.dataset.v1.raw',
  filepath: 'org.cncf.model.filepath',
} as const;

export const legacyModelPack = {
  artifactType: 'application/vnd.cnai.model.manifest.v1+json',
  config: 'application/vnd.cnai.model.config.v1+json',
  filepath: 'org.cnai.model.filepath',
} as const;

/** KitOps ModelKits: the Kitfile as the config; newer kits set the artifact type. */
export const kitOps = {
  artifactType: 'application/vnd.kitops.modelkit.manifest.v1+json',
  config: 'application/vnd.kitops.modelkit.config.v1+json',
  layerPrefix: 'application/vnd.kitops.modelkit.',
  kitfileAnnotation: 'ml.kitops.modelkit.kitfile',
} as const;

/** The OCI annotation every layer of an asset carries its file path in. */
export const titleAnnotation = 'org.opencontainers.image.title';

/**
 * Marks a container image that carries an asset (reference 004: models shipped as images). Its
 * value is the kind (`model`); the image is a version when pushed to `<registry>/<kind>s/<name>`.
 */
export const assetKindAnnotation = 'ai.arca.asset.kind';

/** Arca's media types for the other kinds, shaped like ModelPack's. */
export function arcaArtifactType(kind: AssetKind): string {
  return `application/vnd.arca.${kind}.manifest.v1+json`;
}

export function arcaConfigType(kind: AssetKind): string {
  return `application/vnd.arca.${kind}.config.v1+json`;
}

/** The file roles of each kind besides models: `application/vnd.arca.<kind>.<role>.v1.raw`. */
const roles: Record<Exclude<AssetKind, 'model'>, { main: string }> = {
  dataset: { main: 'data' },
  environment: { main: 'context' },
  component: { main: 'code' },
};

export function arcaLayerType(kind: Exclude<AssetKind, 'model'>, role: string): string {
  return `application/vnd.arca.${kind}.${role}.v1.raw`;
}

const weightExtensions =
  /\.(safetensors|bin|pt|pth|gguf|ggml|onnx|h5|hdf5|keras|ckpt|pb|tflite|msgpack|npz|npy|ot|mlmodel|engine|plan|pkl|joblib|params|model)$/i;
const docNames = /^(readme|license|licence|notice|copying|changelog|authors|citation)(\.[a-z0-9]+)?$/i;
const docExtensions = /\.(md|rst|pdf|html?)$/i;
const codeExtensions = /\.(py|ipynb|sh|js|mjs|ts|go|rs|c|cc|cpp|h|hpp|java|scala|r|jl|lua|rb|cu)$/i;
const codeNames = /^(dockerfile|makefile|requirements\.txt|pyproject\.toml|setup\.cfg)$/i;
const configNames =
  /^(tokenizer.*|vocab\..*|merges\.txt|special_tokens_map\.json|added_tokens\.json|.*\.tiktoken|spiece\.model|sentencepiece.*\.model)$/i;
const configExtensions = /\.(json|ya?ml|toml|txt|cfg|ini)$/i;

/** What a file of a model is, by its name: weights, their configuration, documentation or code. */
export function modelFileRole(path: string): 'weight' | 'weightConfig' | 'doc' | 'code' {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (docNames.test(base) || docExtensions.test(base)) return 'doc';
  if (configNames.test(base)) return 'weightConfig';
  if (codeNames.test(base) || codeExtensions.test(base)) return 'code';
  if (weightExtensions.test(base)) return 'weight';
  if (configExtensions.test(base)) return 'weightConfig';
  return 'weight';
}

/** The layer media type of a file of `kind`, chosen by its path. */
export function layerMediaType(kind: AssetKind, path: string): string {
  if (kind === 'model') return modelPack[modelFileRole(path)];
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (docNames.test(base) || docExtensions.test(base)) return arcaLayerType(kind, 'doc');
  return arcaLayerType(kind, roles[kind].main);
}
