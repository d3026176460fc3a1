import { z } from 'zod';
import { AppError } from '../errors/index.js';
import { parseDuration } from '../config/index.js';
import { registryBase } from '../net/index.js';

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

/** A Go duration (`5m`, `1h`) or seconds, in milliseconds; at least 1 s. */
const ttlSchema = z.union([z.string(), z.number().int().min(1)]).transform((value, ctx) => {
  try {
    const ms = typeof value === 'number' ? value * 1000 : parseDuration(value);
    if (ms >= 1000) return ms;
    ctx.addIssue({ code: 'custom', message: 'at least 1s' });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
  return z.NEVER;
});

/** A pull-through cache of another registry: its address, the REGISTRY credential, the tag TTL. */
const proxySchema = z.strictObject({
  url: z.string().min(1).max(500).describe('https://host[:port] (http:// for a plain-HTTP registry)'),
  credential: z.string().min(1).max(64).nullable().optional().describe('a REGISTRY credential'),
  ttl: ttlSchema.optional().describe('how long a tag is served before the upstream is asked again'),
});

export type ProxyDefinition = z.infer<typeof proxySchema>;

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
  proxy: proxySchema.optional(),
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
  /** A pull-through cache: its upstream (normalised to `scheme://host[:port][/prefix]`). */
  proxy?: { url: string; credential: string | null; ttl: number | null };
}

const updateSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  locations: z.array(z.string()).optional(),
  anonymous_pull: z.boolean().optional(),
  backend: z.strictObject({ s3: z.strictObject({ credential: z.string().min(1).max(64) }) }).optional(),
  proxy: proxySchema.partial().optional(),
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
  if (r.proxy && r.default) {
    throw new AppError(
      'REGISTRY_INVALID',
      'registry: a proxy registry cannot be the default of its namespace',
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
    proxy: r.proxy && {
      url: proxyUrl(r.proxy.url),
      credential: r.proxy.credential ?? null,
      ttl: r.proxy.ttl ?? null,
    },
  };
}

/** An upstream's address as stored: scheme, host, port and path prefix, without a trailing `/`. */
export function proxyUrl(text: string): string {
  let base: URL;
  try {
    base = registryBase(text);
  } catch (err) {
    throw new AppError('REGISTRY_INVALID', `proxy.url: ${(err as Error).message}`);
  }
  if (base.username || base.password || base.search || base.hash) {
    throw new AppError('REGISTRY_INVALID', 'proxy.url: no user, password, query or fragment in the address');
  }
  return base.href.replace(/\/$/, '');
}

export function parseRegistryUpdate(input: unknown): RegistryUpdate {
  const parsed = updateSchema.safeParse(input ?? {});
  if (!parsed.success) throw invalid(parsed.error, 'update');
  return parsed.data;
}
