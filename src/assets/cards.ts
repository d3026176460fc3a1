import { z } from 'zod';
import { AppError, type ErrorCode } from '../errors/index.js';
import type { AssetKind } from './kinds.js';

const text = z.string().max(65_536);
const short = z.string().max(1024);
const words = z.array(short).max(1000);
const anyJson = z.unknown();

/** The LLMOS model card (llmos-operator v0.3.1): a description and metadata. */
export const modelCard = z.looseObject({
  description: text.optional(),
  metadata: z
    .looseObject({
      tags: words.optional(),
      license: short.optional(),
      datasets: words.optional(),
      metrics: z.union([words, z.record(z.string(), anyJson)]).optional(),
      language: z.union([short, words]).optional(),
      libraryName: short.optional(),
      libraryVersion: short.optional(),
      cpu: z.union([short, z.number()]).optional(),
      gpu: z.union([short, z.number()]).optional(),
      framework: short.optional(),
      trainingData: z.union([short, words]).optional(),
      evaluationResults: z.union([z.array(anyJson), z.record(z.string(), anyJson)]).optional(),
      baseModel: short.optional(),
    })
    .optional(),
});

/** The LLMOS dataset card. */
export const datasetCard = z.looseObject({
  description: text.optional(),
  metadata: z
    .looseObject({
      tags: words.optional(),
      license: short.optional(),
      splitTypes: words.optional(),
      features: z.union([words, z.array(z.record(z.string(), anyJson))]).optional(),
      numSamples: z.number().int().nonnegative().optional(),
      language: z.union([short, words]).optional(),
      citation: text.optional(),
      homepage: short.optional(),
      downloadUrl: short.optional(),
      authors: words.optional(),
      contact: short.optional(),
    })
    .optional(),
});

const modelSpec = z.looseObject({
  type: z.enum(['custom_model', 'mlflow_model', 'triton_model']).optional(),
});

const dataSpec = z.looseObject({
  type: z.enum(['uri_file', 'uri_folder', 'mltable']).optional(),
});

const environmentSpec = z
  .looseObject({
    image: short.optional(),
    build: z.looseObject({ path: short.optional(), dockerfile_path: short.optional() }).optional(),
    conda_file: z.union([short, z.record(z.string(), anyJson)]).optional(),
    os_type: z.enum(['linux', 'windows']).optional(),
    inference_config: z.record(z.string(), anyJson).optional(),
  })
  .refine((e) => e.image !== undefined || e.build !== undefined || e.conda_file !== undefined, {
    message: 'an environment needs image, build or conda_file',
    path: ['image'],
  });

/** Azure's command component YAML; its `environment` names a registry environment or an inline one. */
const componentSpec = z.looseObject({
  type: z.enum(['command', 'pipeline', 'parallel', 'sweep']).optional(),
  display_name: short.optional(),
  inputs: z.record(z.string(), anyJson).optional(),
  outputs: z.record(z.string(), anyJson).optional(),
  code: short.optional(),
  environment: z.union([short, z.record(z.string(), anyJson)]).optional(),
  command: text.optional(),
});

const specs: Record<AssetKind, z.ZodType> = {
  model: modelSpec,
  dataset: dataSpec,
  environment: environmentSpec,
  component: componentSpec,
};

function checked<T>(schema: z.ZodType<T>, value: unknown, where: string, code: ErrorCode): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [where, ...issue.path.map(String)].join('.');
  throw new AppError(code, `${path}: ${issue.message}`, {
    field: path,
    issues: parsed.error.issues
      .slice(0, 10)
      .map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })),
  });
}

/** A version's card for its kind (models and datasets have one), checked; a bad field is named. */
export function checkCard(kind: AssetKind, card: unknown): Record<string, unknown> | null {
  if (card === undefined || card === null) return null;
  if (kind === 'model') return checked(modelCard, card, 'card', 'ASSET_CARD_INVALID');
  if (kind === 'dataset') return checked(datasetCard, card, 'card', 'ASSET_CARD_INVALID');
  throw new AppError('ASSET_CARD_INVALID', `card: ${kind}s have no card (use spec)`, { field: 'card' });
}

/**
 * A version's Azure fields for its kind: model and data `type`, an environment's image or build,
 * a component's YAML. `type` given beside the spec counts as `spec.type`.
 */
export function checkSpec(kind: AssetKind, spec: unknown): Record<string, unknown> | null {
  if (spec === undefined || spec === null) return null;
  return checked(specs[kind] as z.ZodType<Record<string, unknown>>, spec, 'spec', 'ASSET_INVALID');
}
