import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import { DEFAULT_CIPHERS, type TLSSocket } from 'node:tls';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3StorageConfig } from '../../config/index.js';
import { OutboundError, type DestinationGuard } from '../../net/index.js';
import { signBufferBodies } from './buffer-body.js';

/** Read buffer of each connection to the endpoint (`tls.connect`'s and `net`'s highWaterMark). */
const SOCKET_BUFFER = 1 << 20;

export interface S3DriverOptions {
  /** An https agent to use instead of the default one (tests pass one that trusts their CA). */
  httpsAgent?: HttpsAgent;
  /** The server's outbound destination policy: the endpoint's addresses are checked before connecting. */
  guard?: DestinationGuard;
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

/** How long connecting to the endpoint may take, TLS handshake included. */
const CONNECT_TIMEOUT = 10_000;

type ConnectOptions = Parameters<HttpsAgent['createConnection']>[0];
type ConnectCallback = (err: Error | null, stream: Duplex) => void;

/** Calls back with the policy's refusal of an address literal (a name is checked by `lookup`). */
function refused(guard: DestinationGuard | undefined, options: ConnectOptions, callback?: ConnectCallback) {
  const host = options.host ?? options.hostname ?? '';
  const refusal = guard && typeof host === 'string' ? guard.hostRefusal(host) : undefined;
  if (refusal && callback) callback(new OutboundError('denied', refusal), undefined as unknown as Duplex);
  return refusal !== undefined;
}

/** Plain-HTTP endpoints (registry:2's `secure: false`) under the outbound policy. */
class GuardedHttpAgent extends HttpAgent {
  constructor(
    options: ConstructorParameters<typeof HttpAgent>[0],
    private readonly guard?: DestinationGuard,
  ) {
    super({ ...options, ...(guard ? { lookup: guard.lookup } : {}) });
  }

  override createConnection(options: ConnectOptions, callback?: ConnectCallback): Duplex | null | undefined {
    if (refused(this.guard, options, callback)) return undefined;
    return super.createConnection(options, callback);
  }
}

/**
 * The SDK's `connectionTimeout` ends when TCP connects; an endpoint that accepts and never completes
 * a TLS handshake (a non-TLS port, a wedged gateway) would hold the socket until the 2-minute
 * request timeout, on every retry. Here connecting ends at the handshake, within the same bound,
 * and goes only where the outbound policy allows.
 */
class HandshakeBoundedAgent extends HttpsAgent {
  constructor(
    options: ConstructorParameters<typeof HttpsAgent>[0],
    private readonly guard?: DestinationGuard,
  ) {
    super({ ...options, ...(guard ? { lookup: guard.lookup } : {}) });
  }

  override createConnection(options: ConnectOptions, callback?: ConnectCallback): Duplex | null | undefined {
    if (refused(this.guard, options, callback)) return undefined;
    const socket = super.createConnection(options, callback) as TLSSocket | null | undefined;
    if (socket) {
      const timer = setTimeout(
        () => socket.destroy(new Error(`TLS handshake: no answer within ${CONNECT_TIMEOUT} ms`)),
        CONNECT_TIMEOUT,
      );
      timer.unref();
      const clear = () => clearTimeout(timer);
      socket.once('secureConnect', clear);
      socket.once('close', clear);
    }
    return socket;
  }
}

/** The https agent of the SDK's requests (the tests' own when given: it trusts their CA). */
export function createHttpsAgent(config: S3StorageConfig, options: S3DriverOptions = {}): HttpsAgent {
  return (
    options.httpsAgent ??
    new HandshakeBoundedAgent(
      { ...socketOptions(config), rejectUnauthorized: !config.skipverify, ciphers: PREFERRED_CIPHERS },
      options.guard,
    )
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
export function createS3Client(
  config: S3StorageConfig,
  httpsAgent: HttpsAgent,
  guard?: DestinationGuard,
): S3Client {
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
      httpAgent: new GuardedHttpAgent(socketOptions(config), guard),
      connectionTimeout: CONNECT_TIMEOUT,
      // A request whose socket stays silent this long fails instead of holding its upload forever
      // (a gateway that lost its storage answers nothing). S3 keeps long copies and completions
      // alive with whitespace; an idle two minutes is a dead peer.
      requestTimeout: 120_000,
    }),
  });
  signBufferBodies(client);
  return client;
}
