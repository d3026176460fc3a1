import { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3StorageConfig } from '../../config/index.js';
import type { Outbound } from '../../net/index.js';
import type { BucketAdmin, UploadedPart } from '../driver.js';
import { endpointOf } from './client.js';
import type { S3Context } from './context.js';
import { checkCors, ensureCors } from './cors.js';
import {
  abortMultipart,
  completeMultipart,
  createMultipart,
  listMultipartUploads,
  listParts,
  quoted,
} from './multipart.js';

/**
 * Clients and the bucket: presigned PUTs of whole objects or of the parts of a multipart upload
 * (Arca opens, lists and completes it; the client sends the parts), and the CORS rules that let
 * browsers send them.
 */
export class S3BucketAdmin implements BucketAdmin {
  constructor(
    private readonly ctx: S3Context,
    private readonly config: S3StorageConfig,
  ) {}

  /** A presigned PUT of one object (a browser upload straight to the bucket). */
  presignPut(path: string, expiresInSeconds: number): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.ctx.bucket, Key: this.ctx.keys.object(path) });
    return getSignedUrl(this.ctx.client, command, { expiresIn: expiresInSeconds });
  }

  startMultipart(path: string): Promise<string> {
    return createMultipart(this.ctx, this.ctx.keys.object(path));
  }

  async findMultipart(path: string): Promise<string | null> {
    const key = this.ctx.keys.object(path);
    let newest: { uploadId: string; initiated: Date } | null = null;
    for await (const u of listMultipartUploads(this.ctx, key)) {
      if (u.key === key && (!newest || u.initiated >= newest.initiated)) newest = u;
    }
    return newest?.uploadId ?? null;
  }

  presignPart(path: string, uploadId: string, part: number, expiresInSeconds: number): Promise<string> {
    const command = new UploadPartCommand({
      Bucket: this.ctx.bucket,
      Key: this.ctx.keys.object(path),
      UploadId: uploadId,
      PartNumber: part,
    });
    return getSignedUrl(this.ctx.client, command, { expiresIn: expiresInSeconds });
  }

  async listParts(path: string, uploadId: string): Promise<UploadedPart[] | null> {
    const parts = await listParts(this.ctx, this.ctx.keys.object(path), uploadId);
    return parts?.map((p) => ({ number: p.number, size: p.size, etag: p.etag })) ?? null;
  }

  completeMultipart(path: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    const named = parts.map((p) => ({ ...p, etag: quoted(p.etag), modified: new Date() }));
    return completeMultipart(this.ctx, this.ctx.keys.object(path), uploadId, named);
  }

  abortMultipart(path: string, uploadId: string): Promise<void> {
    return abortMultipart(this.ctx, this.ctx.keys.object(path), uploadId);
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
}
