import { GetBucketCorsCommand, PutBucketCorsCommand, type CORSRule } from '@aws-sdk/client-s3';
import { OutboundError, type Outbound, type OutboundResponse } from '../../net/index.js';
import type { S3Context } from './context.js';

/** What browsers need to upload and download straight to and from the bucket. */
const methods = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];

function allows(rule: CORSRule, origin: string): boolean {
  const origins = rule.AllowedOrigins ?? [];
  const ruleMethods = rule.AllowedMethods ?? [];
  return (
    (origins.includes(origin) || origins.includes('*')) &&
    methods.every((m) => ruleMethods.includes(m)) &&
    (rule.ExposeHeaders ?? []).some((h) => h.toLowerCase() === 'etag')
  );
}

async function currentRules(ctx: S3Context, signal?: AbortSignal): Promise<CORSRule[]> {
  try {
    const answer = await ctx.client.send(
      new GetBucketCorsCommand({ Bucket: ctx.bucket }),
      signal ? { abortSignal: signal } : {},
    );
    return answer.CORSRules ?? [];
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchCORSConfiguration') return [];
    throw err;
  }
}

/** Add a rule for `origin` to the bucket's CORS configuration unless one already allows it. */
export async function ensureCors(ctx: S3Context, origin: string, signal?: AbortSignal): Promise<void> {
  const rules = await currentRules(ctx, signal);
  if (rules.some((r) => allows(r, origin))) return;
  const ours: CORSRule = {
    AllowedOrigins: [origin],
    AllowedMethods: methods,
    AllowedHeaders: ['*'],
    ExposeHeaders: ['ETag'],
    MaxAgeSeconds: 3000,
  };
  await ctx.client.send(
    new PutBucketCorsCommand({ Bucket: ctx.bucket, CORSConfiguration: { CORSRules: [...rules, ours] } }),
    signal ? { abortSignal: signal } : {},
  );
}

/**
 * Ask the bucket as a browser would (a preflight for a PUT from `origin`); null when it would
 * allow the upload, else what is wrong. Sent through the server's outbound bounds and policy.
 */
export async function checkCors(
  outbound: Outbound,
  bucketUrl: string,
  origin: string,
  signal?: AbortSignal,
): Promise<string | null> {
  let res: OutboundResponse;
  try {
    res = await outbound.request(`${bucketUrl.replace(/\/+$/, '')}/.arca-cors-check`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type',
      },
      timeoutMs: 10_000,
      signal,
    });
  } catch (err) {
    return `CORS preflight failed: ${err instanceof OutboundError ? err.message : 'unreachable'}`;
  }
  const allowed = res.headers['access-control-allow-origin'];
  if (res.status >= 200 && res.status < 300 && (allowed === origin || allowed === '*')) return null;
  return `CORS rules missing: the bucket does not allow browser uploads from ${origin} (preflight answered HTTP ${res.status})`;
}
