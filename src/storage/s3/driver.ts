import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3StorageConfig } from '../../config/index.js';
import type { Outbound } from '../../net/index.js';
import { checkPath, StorageNotFound, type ByteRange, type StorageDriver } from '../driver.js';
import {
  createHttpsAgent,
  createS3Client,
  endpointOf,
  PREFERRED_CIPHERS,
  type S3DriverOptions,
} from './client.js';
import { createContext, type S3Context } from './context.js';
import { describeAccessError, isNotFound } from './errors.js';
import { getStream, headSize, listObjects, putObject } from './objects.js';
import { putStream } from './put.js';
import { S3Uploads } from './uploads.js';
import { checkCors, ensureCors } from './cors.js';
import { copyObject } from './copy.js';
import { ObjectReader } from './object-reader.js';

/** How long a presigned blob URL stays valid (registry:2 uses 20 minutes too). */
const REDIRECT_EXPIRY_SECONDS = 20 * 60;
/** Presigned URLs of Arca's own reads are used at once. */
const READ_EXPIRY_SECONDS = 5 * 60;

/** Blobs as objects in an S3 bucket (AWS, Ceph RGW, MinIO, Tigris, …), with registry:2's keys. */
export class S3Driver implements StorageDriver {
  readonly kind = 's3' as const;
  private readonly ctx: S3Context;
  private readonly uploads: S3Uploads;
  private readonly endpoint: string;
  private readonly redirectExpiry: number;
  private readonly reader: ObjectReader;

  constructor(
    private readonly config: S3StorageConfig,
    options: S3DriverOptions = {},
  ) {
    this.redirectExpiry = options.redirectExpirySeconds ?? REDIRECT_EXPIRY_SECONDS;
    const httpsAgent = createHttpsAgent(config, options);
    const endpoint = endpointOf(config);
    const refusal = endpoint ? options.guard?.hostRefusal(new URL(endpoint).hostname) : undefined;
    // An address literal never reaches a socket's lookup (where names are checked): refuse it here.
    if (refusal) throw new Error(`endpoint ${endpoint}: ${refusal}`);
    this.ctx = createContext(createS3Client(config, httpsAgent, options.guard), config);
    this.reader = new ObjectReader({ tls: { ciphers: PREFERRED_CIPHERS, ...httpsAgent.options } });
    this.uploads = new S3Uploads(this.ctx);
    this.endpoint = endpointOf(config) ?? `the ${config.region} S3 endpoint`;
  }

  private key(path: string): string {
    return this.ctx.keys.object(checkPath(path));
  }

  async stat(path: string): Promise<{ size: number } | null> {
    const size = await headSize(this.ctx, this.key(path));
    return size === null ? null : { size };
  }

  /** Through the object reader (a presigned GET on a socket of its own), else through the SDK. */
  async read(path: string, range?: ByteRange): Promise<Readable> {
    const key = this.key(path);
    try {
      const body = await this.reader.read(await this.presign(key, READ_EXPIRY_SECONDS), range);
      if (body) return body;
      return await getStream(this.ctx, key, range?.start, range?.end);
    } catch (err) {
      if (isNotFound(err)) throw new StorageNotFound(path);
      throw err;
    }
  }

  async put(path: string, data: Readable | Buffer): Promise<void> {
    const key = this.key(path);
    if (Buffer.isBuffer(data)) await putObject(this.ctx, key, data);
    else await putStream(this.ctx, key, data);
  }

  async delete(path: string): Promise<void> {
    await this.ctx.client.send(new DeleteObjectCommand({ Bucket: this.ctx.bucket, Key: this.key(path) }));
  }

  async *list(prefix: string): AsyncIterable<string> {
    const base = this.key(prefix);
    for await (const o of listObjects(this.ctx, `${base}/`)) {
      const path = this.ctx.keys.path(o.key);
      if (path !== undefined) yield path;
    }
  }

  startUpload(key: string): Promise<void> {
    return this.uploads.start(checkPath(key));
  }

  uploadSize(key: string): Promise<number | null> {
    return this.uploads.size(checkPath(key));
  }

  appendUpload(key: string, offset: number, data: Readable, sizeHint?: number): Promise<number> {
    return this.uploads.append(checkPath(key), offset, data, sizeHint);
  }

  readUpload(key: string): Promise<Readable> {
    return this.uploads.read(checkPath(key));
  }

  commitUpload(key: string, path: string): Promise<void> {
    return this.uploads.commit(checkPath(key), this.key(path));
  }

  abortUpload(key: string): Promise<void> {
    return this.uploads.abort(checkPath(key));
  }

  listUploads(): AsyncIterable<{ key: string; modified: Date }> {
    return this.uploads.list();
  }

  /** A presigned GET, valid for 20 minutes unless told otherwise. */
  async redirectURL(path: string): Promise<string | null> {
    return this.presign(this.key(path), this.redirectExpiry);
  }

  private presign(key: string, expiresIn: number): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.ctx.bucket, Key: key });
    return getSignedUrl(this.ctx.client, command, { expiresIn });
  }

  /**
   * HeadBucket. Its errors have no body (a bare 403 or 404), so on failure one listing asks again
   * to learn the S3 error code and say what is wrong: credentials, bucket, endpoint or TLS.
   */
  async ping(signal?: AbortSignal): Promise<void> {
    const { client, bucket } = this.ctx;
    // The signal aborts the SDK's request, which destroys its socket: a cancelled probe leaves none.
    const options = signal ? { abortSignal: signal } : {};
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), options);
      return;
    } catch (err) {
      let cause = err;
      if ((err as { $metadata?: unknown }).$metadata && !signal?.aborted) {
        try {
          await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }), options);
        } catch (detailed) {
          cause = detailed;
        }
      }
      throw new Error(describeAccessError(cause, bucket, this.endpoint), { cause });
    }
  }

  /** A presigned PUT of one object (a browser upload straight to the bucket). */
  async presignPut(path: string, expiresInSeconds: number): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.ctx.bucket, Key: this.key(path) });
    return getSignedUrl(this.ctx.client, command, { expiresIn: expiresInSeconds });
  }

  /** Server-side copy (multipart above multipartcopythresholdsize). */
  async copy(from: string, to: string): Promise<void> {
    const size = await headSize(this.ctx, this.key(from));
    if (size === null) throw new StorageNotFound(from);
    await copyObject(this.ctx, this.key(from), this.key(to), size);
  }

  ensureCors(origin: string, signal?: AbortSignal): Promise<void> {
    return ensureCors(this.ctx, origin, signal);
  }

  /** A browser's preflight against the bucket (path style, as the driver addresses it). */
  checkCors(origin: string, outbound: Outbound, signal?: AbortSignal): Promise<string | null> {
    const endpoint = endpointOf(this.config);
    const bucketUrl = endpoint
      ? `${endpoint.replace(/\/+$/, '')}/${this.ctx.bucket}`
      : `https://${this.ctx.bucket}.s3.${this.config.region}.amazonaws.com`;
    return checkCors(outbound, bucketUrl, origin, signal);
  }

  /** Close the client's sockets. */
  close(): void {
    this.ctx.client.destroy();
  }
}
