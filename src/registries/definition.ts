import { z } from 'zod';
import { AppError } from '../errors/index.js';

/** An S3 bucket a registry brings itself: HTTPS only, keys from a DATA credential by name. */
const s3Backend = z.strictObject({
  endpoint: z.string().min(1).max(500).describe('host[:port] or https://host[:port]'),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'bucket names: 3-63 lowercase letters, digits, . and -'),
  region: z.string().min(1).max(64).default('us-east-1'),
  credential: z.string().min(1).max(64).describe('a DATA credential in the registry namespace'),
  rootdirectory: z.string().max(500).default(''),
});

const backendSchema = z
  .strictObject({
    s3: s3Backend.optional(),
    filesystem: z.strictObject({ rootdirectory: z.string().min(1) }).optional(),
  })
  .refine((b) => (b.s3 ? 1 : 0) + (b.filesystem ? 1 : 0) === 1, {
    message: 'choose one backend: s3 or filesystem',
  });

export type RegistryBackend = z.infer<typeof backendSchema>;

/** Azure's `replication_locations` entries: a name, or `{location: name, …}`. */
const locationRef = z.union([z.string(), z.looseObject({ location: z.string() })]);

/** Keys of Azure's registry YAML that mean nothing here: accepted, ignored. */
const azureIgnored = [
  'resource_group',
  'public_network_access',
  'identity',
  'intellectual_property',
  'managed_resource_group',
  'mlflow_registry_uri',
  'discovery_url',
  '$schema',
  'id',
] as const;

/** A registry as created: the API's JSON or the reference documents' YAML (`registry create --file`). */
const createSchema = z.strictObject({
  type: z.literal('registry').optional(),
  name: z.string(),
  description: z.string().max(2000).default(''),
  tags: z.record(z.string(), z.string()).default({}),
  namespace: z.string().default('default'),
  primary_location: z.string().optional(),
  /** Azure's current spelling of the primary location. */
  location: z.string().optional(),
  locations: z.array(z.string()).default([]),
  /** Azure's current spelling of all locations (the primary among them). */
  replication_locations: z.array(locationRef).default([]),
  backend: backendSchema.optional(),
  anonymous_pull: z.boolean().default(false),
  default: z.boolean().default(false),
  ...Object.fromEntries(azureIgnored.map((k) => [k, z.unknown().optional()])),
});

export interface RegistryDefinition {
  name: string;
  description: string;
  tags: Record<string, string>;
  namespace: string;
  /** A configured location, unless the registry brings its own backend. */
  primaryLocation?: string;
  additionalLocations: string[];
  backend?: RegistryBackend;
  anonymousPull: boolean;
  makeDefault: boolean;
}

const updateSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  locations: z.array(z.string()).optional(),
  anonymous_pull: z.boolean().optional(),
  backend: z.strictObject({ s3: z.strictObject({ credential: z.string().min(1).max(64) }) }).optional(),
});

export type RegistryUpdate = z.infer<typeof updateSchema>;

function invalid(error: z.ZodError, what: string): AppError {
  const issues = error.issues.map((i) => {
    if (i.code === 'unrecognized_keys')
      return `${[what, ...i.path].join('.')}: unknown key(s) ${i.keys.join(', ')}`;
    return `${[what, ...i.path].join('.')}: ${i.message}`;
  });
  return new AppError('REGISTRY_INVALID', issues.join('; '));
}

export function parseRegistryDefinition(input: unknown): RegistryDefinition {
  const parsed = createSchema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error, 'registry');
  const r = parsed.data;
  if (r.primary_location !== undefined && r.location !== undefined && r.primary_location !== r.location) {
    throw new AppError('REGISTRY_INVALID', 'registry: primary_location and location disagree');
  }
  const primary = r.primary_location ?? r.location;
  const replicated = r.replication_locations.map((l) => (typeof l === 'string' ? l : l.location));
  const additional = [...new Set([...r.locations, ...replicated])].filter((l) => l !== primary);
  if (r.backend && primary !== undefined) {
    throw new AppError(
      'REGISTRY_INVALID',
      'registry: give a primary location or a backend of its own, not both',
    );
  }
  if (r.backend && additional.length > 0) {
    throw new AppError(
      'REGISTRY_INVALID',
      'registry: a registry with its own backend has no additional locations',
    );
  }
  if (r.backend?.s3 && /^http:\/\//i.test(r.backend.s3.endpoint)) {
    throw new AppError(
      'REGISTRY_INVALID',
      'registry: backend.s3.endpoint: only HTTPS endpoints are supported',
    );
  }
  return {
    name: r.name,
    description: r.description,
    tags: r.tags,
    namespace: r.namespace,
    primaryLocation: primary,
    additionalLocations: additional,
    backend: r.backend,
    anonymousPull: r.anonymous_pull,
    makeDefault: r.default,
  };
}

export function parseRegistryUpdate(input: unknown): RegistryUpdate {
  const parsed = updateSchema.safeParse(input ?? {});
  if (!parsed.success) throw invalid(parsed.error, 'update');
  return parsed.data;
}
