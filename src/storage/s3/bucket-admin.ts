import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3StorageConfig } from '../../config/index.js';
import type { Outbound } from '../../net/index.js';
import type { BucketAdmin } from '../driver.js';
import { endpointOf } from './client.js';
import type { S3Context } from './context.js';
import { checkCors, ensureCors } from './cors.js';

/** Browsers and the bucket: presigned PUTs, and the CORS rules that let browsers send them. */
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
