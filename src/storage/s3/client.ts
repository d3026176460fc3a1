import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DEFAULT_CIPHERS } from 'node:tls';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3StorageConfig } from '../../config/index.js';
import { signBufferBodies } from './buffer-body.js';

/** Read buffer of each connection to the endpoint (`tls.connect`'s and `net`'s highWaterMark). */
const SOCKET_BUFFER = 1 << 20;

export interface S3DriverOptions {
  /** An https agent to use instead of the default one (tests pass one that trusts their CA). */
  httpsAgent?: HttpsAgent;
  /** Lifetime of presigned URLs in seconds; default 1,200 (20 minutes, as registry:2). */
  redirectExpirySeconds?: number;
}

/** registry:2's `regionendpoint` may omit the scheme; then `secure` chooses it. */
export function endpointOf(config: S3StorageConfig): string | undefined {
  const raw = config.regionendpoint?.trim();
  if (!raw) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${config.secure ? 'https' : 'http'}://${raw}`;
}

function socketOptions(config: S3StorageConfig) {
  const maxSockets = Math.max(64, config.multipartcopymaxconcurrency);
  // Sockets buffer up to 1 MiB of a response (not 16 KiB): reading fragments and copies pauses and
  // resumes an S3 socket far less often.
  return { keepAlive: true, maxSockets, highWaterMark: SOCKET_BUFFER };
}

/**
 * TLS 1.3 suites in Go's and the browsers' order: AES-128-GCM first. OpenSSL's default offers
 * AES-256-GCM first, and the endpoint then spends a third more CPU encrypting what Arca spends a
 * third more decrypting; TLS 1.2 and older suites stay OpenSSL's.
 */
export const PREFERRED_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  ...DEFAULT_CIPHERS.split(':').filter((suite) => !suite.startsWith('TLS_')),
].join(':');

/** The https agent of the SDK's requests (the tests' own when given: it trusts their CA). */
export function createHttpsAgent(config: S3StorageConfig, options: S3DriverOptions = {}): HttpsAgent {
  return (
    options.httpsAgent ??
    new HttpsAgent({
      ...socketOptions(config),
      rejectUnauthorized: !config.skipverify,
      ciphers: PREFERRED_CIPHERS,
    })
  );
}

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * The SDK client for registry:2's `storage.s3` keys.
 *
 * - Checksums only when an operation requires them: many S3-compatible servers (Ceph before 18,
 *   Swift, older MinIO) refuse the SDK's default aws-chunked bodies with checksum trailers.
 * - Path-style addressing whenever an endpoint is given (as registry:2 2.x does), or on request.
 * - Static keys (and `sessiontoken`) when both keys are set, otherwise the SDK's default chain (environment, profile,
 *   web identity, instance metadata).
 * - Requests are always signed with SigV4 (`v4auth` is accepted; the SDK has no other signer),
 *   part and object bodies too (`BufferBody`: streamed in slices, their SHA-256 signed).
 */
export function createS3Client(config: S3StorageConfig, httpsAgent: HttpsAgent): S3Client {
  const endpoint = endpointOf(config);
  const client = new S3Client({
    region: config.region,
    endpoint,
    tls: endpoint ? undefined : config.secure,
    forcePathStyle: config.forcepathstyle || endpoint !== undefined,
    useDualstackEndpoint: config.usedualstack,
    useAccelerateEndpoint: config.accelerate,
    credentials:
      config.accesskey && config.secretkey
        ? {
            accessKeyId: config.accesskey,
            secretAccessKey: config.secretkey,
            ...(config.sessiontoken ? { sessionToken: config.sessiontoken } : {}),
          }
        : undefined,
    customUserAgent: config.useragent,
    // As the SDK's default (it logs nowhere), but its own no-op logger makes the retry step print
    // "non-retryable streaming request" on stderr for every failed part: BufferBody retries those.
    logger: quiet,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      httpsAgent,
      httpAgent: new HttpAgent(socketOptions(config)),
      connectionTimeout: 10_000,
      // A request whose socket stays silent this long fails instead of holding its upload forever
      // (a gateway that lost its storage answers nothing). S3 keeps long copies and completions
      // alive with whitespace; an idle two minutes is a dead peer.
      requestTimeout: 120_000,
    }),
  });
  signBufferBodies(client);
  return client;
}
