import { classifyOutboundError } from '../../net/index.js';
import { ObjectReadError } from './object-read-error.js';

/** The S3 error code (e.g. 'NoSuchKey'), or for errors without a body the SDK's name ('NotFound'). */
export function errorCode(err: unknown): string | undefined {
  if (err instanceof ObjectReadError) return err.code;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { Code?: unknown; name?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  return typeof e.name === 'string' ? e.name : undefined;
}

export function httpStatus(err: unknown): number | undefined {
  if (err instanceof ObjectReadError) return err.status;
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export function isNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'NoSuchKey' || code === 'NotFound' || (code !== 'NoSuchBucket' && httpStatus(err) === 404);
}

/**
 * A multipart upload that no longer exists. Ceph answers NoSuchKey rather than NoSuchUpload for
 * ListParts after an abort or a completion.
 */
export function isUploadGone(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'NoSuchUpload' || code === 'NoSuchKey' || code === 'NotFound';
}

const tlsCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const networkCodes = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);

/** A sentence for an operator: why the bucket cannot be used. */
export function describeAccessError(err: unknown, bucket: string, endpoint: string): string {
  const code = errorCode(err);
  const sys = (err as NodeJS.ErrnoException)?.code;
  if (sys && tlsCodes.has(sys)) {
    return `TLS certificate of ${endpoint} is not trusted (${sys}): add its CA to NODE_EXTRA_CA_CERTS, or set skipverify`;
  }
  if ((sys && networkCodes.has(sys)) || code === 'TimeoutError') {
    return `endpoint ${endpoint} is unreachable (${sys ?? code})`;
  }
  switch (code) {
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'InvalidToken':
    case 'ExpiredToken':
      return `credentials refused by ${endpoint} (${code}): check accesskey and secretkey`;
    case 'NoSuchBucket':
      return `bucket ${JSON.stringify(bucket)} does not exist at ${endpoint}`;
    case 'AccessDenied':
    case 'Forbidden':
      return `access to bucket ${JSON.stringify(bucket)} denied at ${endpoint} (${code})`;
    case 'CredentialsProviderError':
      return `no credentials: set accesskey and secretkey, or provide AWS credentials in the environment`;
  }
  // No S3 answer at all (a reset, not HTTP, TLS, refused by the outbound policy): the same coarse
  // words as every other outbound request, so a registry's state does not fingerprint what listens
  // at its endpoint (a reset reads like garbage: "not an HTTP server").
  if (httpStatus(err) === undefined) {
    return `endpoint ${endpoint}: ${classifyOutboundError(err, true).message}`;
  }
  const message = (err as Error)?.message || String(err);
  return `bucket ${JSON.stringify(bucket)} at ${endpoint} is not usable (${code ?? sys ?? 'error'}: ${message})`;
}
