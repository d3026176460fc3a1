import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3StorageConfig } from '../../config/index.js';
import type { ByteRange, ObjectAddress, StorageBackend } from '../driver.js';
import { StorageNotFound } from '../errors.js';
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
import { S3BucketAdmin } from './bucket-admin.js';
import { copyObject } from './copy.js';
import { ObjectReader } from './object-reader.js';

/** How long a presigned blob URL stays valid (registry:2 uses 20 minutes too). */
const REDIRECT_EXPIRY_SECONDS = 20 * 60;
/** Presigned URLs of Arca's own reads are used at once. */
const READ_EXPIRY_SECONDS = 5 * 60;

/**
 * Blobs as objects in an S3 bucket (AWS, Ceph RGW, MinIO, Tigris, …), with registry:2's keys.
 * Paths come checked (`CheckedStorage`); S3's "no such key" answers are named by `errorKind`.
 */
export class S3Driver implements StorageBackend {
  readonly kind = 's3' as const;
  readonly uploads: S3Uploads;
  readonly bucket: S3BucketAdmin;
  private readonly ctx: S3Context;
  private readonly endpoint: string;
  private readonly redirectExpiry: number;
  private readonly reader: ObjectReader;

  constructor(config: S3StorageConfig, options: S3DriverOptions = {}) {
    this.redirectExpiry = options.redirectExpirySeconds ?? REDIRECT_EXPIRY_SECONDS;
    const httpsAgent = createHttpsAgent(config, options);
    const endpoint = endpointOf(config);
    const refusal = endpoint ? options.guard?.hostRefusal(new URL(endpoint).hostname) : undefined;
    // An address literal never reaches a socket's lookup (where names are checked): refuse it here.
    if (refusal) throw new Error(`endpoint ${endpoint}: ${refusal}`);
    this.ctx = createContext(createS3Client(config, httpsAgent, options.guard), config);
    this.reader = new ObjectReader({ tls: { ciphers: PREFERRED_CIPHERS, ...httpsAgent.options } });
    this.uploads = new S3Uploads(this.ctx);
    this.bucket = new S3BucketAdmin(this.ctx, config);
    this.endpoint = endpoint ?? `the ${config.region} S3 endpoint`;
  }

  private key(path: string): string {
    return this.ctx.keys.object(path);
  }

  async stat(path: string): Promise<{ size: number } | null> {
    const size = await headSize(this.ctx, this.key(path));
    return size === null ? null : { size };
  }

  /** Through the object reader (a presigned GET on a socket of its own), else through the SDK. */
  async read(path: string, range?: ByteRange): Promise<Readable> {
    const key = this.key(path);
    const body = await this.reader.read(await this.presign(key, READ_EXPIRY_SECONDS), range);
    return body ?? getStream(this.ctx, key, range?.start, range?.end);
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
    for await (const o of listObjects(this.ctx, `${this.key(prefix)}/`)) {
      const path = this.ctx.keys.path(o.key);
      if (path !== undefined) yield path;
    }
  }

  /** Server-side copy (multipart above multipartcopythresholdsize). */
  async copy(from: string, to: string): Promise<void> {
    const size = await headSize(this.ctx, this.key(from));
    if (size === null) throw new StorageNotFound(from);
    await copyObject(this.ctx, this.key(from), this.key(to), size);
  }

  objectAddress(path: string): ObjectAddress {
    return { endpoint: this.endpoint, bucket: this.ctx.bucket, key: this.key(path) };
  }

  /** Server-side copy from another bucket (or root directory) of this endpoint; false for another endpoint. */
  async copyFrom(source: ObjectAddress, to: string): Promise<boolean> {
    if (source.endpoint !== this.endpoint) return false;
    const size = await headSize(this.ctx, source.key, source.bucket);
    if (size === null) throw new StorageNotFound(source.key);
    await copyObject(this.ctx, source.key, this.key(to), size, source.bucket);
    return true;
  }

  /** A presigned GET, valid for 20 minutes unless told otherwise. */
  redirectURL(path: string): Promise<string | null> {
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

  /** NoSuchKey and bare 404s (but not NoSuchBucket: a missing bucket is no missing blob). */
  errorKind(err: unknown): 'not-found' | undefined {
    return isNotFound(err) ? 'not-found' : undefined;
  }

  /** Close the client's sockets. */
  close(): void {
    this.ctx.client.destroy();
  }
}
