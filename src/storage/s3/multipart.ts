import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { sendBuffer } from './buffer-body.js';
import type { S3Context } from './context.js';
import { isUploadGone } from './errors.js';

export interface Part {
  number: number;
  size: number;
  etag: string;
  modified: Date;
}

/** Ceph returns UploadPartCopy's ETag without quotes; Complete wants them as listed. */
export function quoted(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

/** The object metadata recording an upload's part schedule on its completed `data` object. */
export const PART_BASE_META = 'arca-part-size';

export async function createMultipart(ctx: S3Context, key: string, partBase?: number): Promise<string> {
  const res = await ctx.client.send(
    new CreateMultipartUploadCommand({
      Bucket: ctx.bucket,
      Key: key,
      Metadata: partBase === undefined ? undefined : { [PART_BASE_META]: String(partBase) },
      ...ctx.write,
    }),
  );
  if (!res.UploadId) throw new Error(`storage: no upload id for ${key}`);
  return res.UploadId;
}

/**
 * The parts of a multipart upload numbered above `after`, in part order (ListParts, 1,000 a page),
 * or null when it is gone.
 */
export async function listParts(
  ctx: S3Context,
  key: string,
  uploadId: string,
  after = 0,
): Promise<Part[] | null> {
  const parts: Part[] = [];
  let marker: string | undefined = after > 0 ? String(after) : undefined;
  try {
    do {
      const page = await ctx.client.send(
        new ListPartsCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
      );
      for (const p of page.Parts ?? []) {
        if (p.PartNumber === undefined) continue;
        parts.push({
          number: p.PartNumber,
          size: p.Size ?? 0,
          etag: quoted(p.ETag ?? ''),
          modified: p.LastModified ?? new Date(0),
        });
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
  } catch (err) {
    if (isUploadGone(err)) return null;
    throw err;
  }
  return parts.sort((a, b) => a.number - b.number);
}

export async function uploadPart(
  ctx: S3Context,
  key: string,
  uploadId: string,
  number: number,
  body: Buffer,
): Promise<Part> {
  const res = await sendBuffer(body, (Body) =>
    ctx.client.send(
      new UploadPartCommand({
        Bucket: ctx.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: number,
        Body,
        ContentLength: body.length,
      }),
    ),
  );
  return { number, size: body.length, etag: quoted(res.ETag ?? ''), modified: new Date() };
}

/** Part `number` as a server-side copy of bytes [start, start+size) of `source`. */
export async function uploadPartCopy(
  ctx: S3Context,
  key: string,
  uploadId: string,
  number: number,
  source: string,
  start: number,
  size: number,
  sourceBucket = ctx.bucket,
): Promise<Part> {
  const res = await ctx.client.send(
    new UploadPartCopyCommand({
      Bucket: ctx.bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: number,
      CopySource: copySource(sourceBucket, source),
      CopySourceRange: `bytes=${start}-${start + size - 1}`,
    }),
  );
  return { number, size, etag: quoted(res.CopyPartResult?.ETag ?? ''), modified: new Date() };
}

/** `bucket/key`, URL-encoded as the header requires. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Complete; Ceph's response carries an empty ETag, so callers check the object with HEAD if they must. */
export async function completeMultipart(
  ctx: S3Context,
  key: string,
  uploadId: string,
  parts: Part[],
): Promise<void> {
  await ctx.client.send(
    new CompleteMultipartUploadCommand({
      Bucket: ctx.bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.number, ETag: p.etag })) },
    }),
  );
}

/** Abort; an upload already gone is fine. */
export async function abortMultipart(ctx: S3Context, key: string, uploadId: string): Promise<void> {
  try {
    await ctx.client.send(
      new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId }),
    );
  } catch (err) {
    if (!isUploadGone(err)) throw err;
  }
}

/** Multipart uploads whose key starts with `prefix` (paginated). */
export async function* listMultipartUploads(
  ctx: S3Context,
  prefix: string,
): AsyncGenerator<{ key: string; uploadId: string; initiated: Date }> {
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  do {
    const page = await ctx.client.send(
      new ListMultipartUploadsCommand({
        Bucket: ctx.bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        UploadIdMarker: idMarker,
      }),
    );
    for (const u of page.Uploads ?? []) {
      if (u.Key && u.UploadId)
        yield { key: u.Key, uploadId: u.UploadId, initiated: u.Initiated ?? new Date(0) };
    }
    if (page.IsTruncated) {
      keyMarker = page.NextKeyMarker;
      idMarker = page.NextUploadIdMarker;
    } else {
      keyMarker = undefined;
    }
  } while (keyMarker);
}
