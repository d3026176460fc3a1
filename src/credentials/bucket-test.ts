import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { parseS3Params, type S3StorageConfig } from '../config/index.js';
import { createDriver, createHttpsAgent, createS3Client, type StorageDriver } from '../storage/index.js';
import type { DestinationGuard } from '../net/index.js';
import type { CredentialTestResult } from './registry-login.js';
import type { OpenedCredential } from './credential-service.js';

/**
 * The bucket's s3 parameters: the credential's keys and endpoint (path-style when one is given), the
 * rest registry:2's defaults, as `storage.s3` would have them.
 */
function s3Config(payload: Record<string, string>, bucket: string): S3StorageConfig {
  const endpoint = payload.endpoint;
  return parseS3Params(
    {
      accesskey: payload.access_key_id,
      secretkey: payload.access_key,
      region: payload.region,
      regionendpoint: endpoint,
      forcepathstyle: endpoint !== undefined,
      bucket,
    },
    'credential',
  );
}

/**
 * Try a DATA credential: list the given bucket (HeadBucket, then one listing to learn why not), or,
 * without one, list the account's buckets. The answer says what failed, never the secret.
 */
export async function testBucketAccess(
  credential: OpenedCredential,
  bucket: string | undefined,
  guard?: DestinationGuard,
  timeoutMs = 10_000,
): Promise<CredentialTestResult> {
  const started = performance.now();
  const config = s3Config(credential.payload, bucket ?? 'unused');
  const where = credential.payload.endpoint ?? `the ${config.region} S3 endpoint`;
  const done = (ok: boolean, target: string, message: string): CredentialTestResult => ({
    ok,
    target,
    status_code: null,
    message,
    latency_ms: Math.round(performance.now() - started),
  });
  // Bounded like any outbound request: the signal ends the SDK's request and closes its socket.
  const signal = AbortSignal.timeout(timeoutMs);
  const timedOut = () => (signal.aborted ? `no answer within ${timeoutMs} ms` : undefined);
  if (bucket !== undefined) {
    let driver: StorageDriver;
    try {
      driver = createDriver({ s3: config }, { guard });
    } catch (err) {
      return done(false, `bucket ${bucket} at ${where}`, (err as Error).message);
    }
    try {
      await driver.ping(signal);
      return done(true, `bucket ${bucket} at ${where}`, 'bucket listed');
    } catch (err) {
      return done(false, `bucket ${bucket} at ${where}`, timedOut() ?? (err as Error).message);
    } finally {
      driver.close?.();
    }
  }
  const refusal = config.regionendpoint
    ? guard?.hostRefusal(new URL(config.regionendpoint).hostname)
    : undefined;
  if (refusal) return done(false, `buckets at ${where}`, refusal);
  const client = createS3Client(config, createHttpsAgent(config, { guard }), guard);
  try {
    const answer = await client.send(new ListBucketsCommand({}), { abortSignal: signal });
    return done(true, `buckets at ${where}`, `${answer.Buckets?.length ?? 0} buckets listed`);
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const refused = /InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied/.test(e.name ?? '');
    return done(
      false,
      `buckets at ${where}`,
      timedOut() ??
        (refused ? `credentials refused (${e.name})` : `${e.name ?? 'error'}: ${e.message ?? ''}`),
    );
  } finally {
    client.destroy();
  }
}
