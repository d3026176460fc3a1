import { z } from 'zod';

export const credentialTypes = ['REGISTRY', 'DATA', 'GENERIC'] as const;
export type CredentialType = (typeof credentialTypes)[number];

const field = z.string().min(1).max(8192);

/** What each type of credential holds, as OSMO's `credential set --payload` names it. */
const payloadSchemas = {
  REGISTRY: z.strictObject({
    registry: field,
    username: field.optional(),
    auth: field,
    // A token service on another origin that may receive the secret (Docker Hub's auth.docker.io).
    realm: z.url({ protocol: /^https$/ }).optional(),
  }),
  DATA: z.strictObject({
    access_key_id: field,
    access_key: field,
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    region: field.default('us-east-1'),
  }),
  GENERIC: z
    .record(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/), field)
    .refine((p) => Object.keys(p).length > 0, {
      message: 'at least one key=value',
    }),
} as const;

export type CredentialPayload = Record<string, string>;

/** Fields shown in full; every other field is masked. */
const visibleFields: Record<CredentialType, readonly string[]> = {
  REGISTRY: ['registry', 'username', 'realm'],
  DATA: ['access_key_id', 'endpoint', 'region'],
  GENERIC: [],
};

export class PayloadInvalid extends Error {}

/** Validate a payload for its type; the message names every field at fault. */
export function checkPayload(type: CredentialType, payload: unknown): CredentialPayload {
  const result = payloadSchemas[type].safeParse(payload);
  if (result.success) return result.data as CredentialPayload;
  const problems = result.error.issues.map((i) => {
    const path = i.path.join('.');
    if (i.code === 'unrecognized_keys') return `unknown field(s) for ${type}: ${i.keys.join(', ')}`;
    return `${path || 'payload'}: ${i.message}`;
  });
  throw new PayloadInvalid(`${type} payload: ${problems.join('; ')}`);
}

/** A secret shown as `****` and its last 4 characters when long enough to keep that harmless. */
function mask(value: string): string {
  return value.length >= 16 ? `****${value.slice(-4)}` : '****';
}

export function maskedPayload(type: CredentialType, payload: CredentialPayload): CredentialPayload {
  const visible = visibleFields[type];
  return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, visible.includes(k) ? v : mask(v)]));
}
